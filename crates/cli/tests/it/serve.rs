//! `assay serve` as a process: it prints where it listens, answers HTTP, and stops cleanly on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::util::{Workspace, listening_address};

const PIPELINE: &str = "name = \"served\"\n[[reward]]\nname = \"format\"\nkind = \"tags\"\n";

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn serve_answers_over_http_and_stops_on_sigterm() {
    let workspace = Workspace::new();
    let config = workspace.write("pipeline.toml", PIPELINE);
    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["serve", "--config", config.to_str().unwrap(), "--bind", "127.0.0.1:0"])
        .args(["--token-env", "ASSAY_TEST_TOKEN"])
        .env("ASSAY_TEST_TOKEN", "tok")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start assay serve");
    let (addr, mut stderr) = listening_address(&mut child);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let health = http(&addr, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"pipeline\":\"served\""), "{health}");
    let body = r#"{"samples": [{"completion": "<think>a</think><answer>b</answer>"}]}"#;
    let score = |auth: &str| {
        http(
            &addr,
            &format!(
                "POST /v1/score HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let refused = score("");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let scored = score("Authorization: Bearer tok\r\n");
    assert!(scored.starts_with("HTTP/1.1 200"), "{scored}");
    assert!(scored.contains("\"reward\":1.0"), "{scored}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

#[test]
fn serve_refuses_to_start_without_the_token_it_was_told_to_use() {
    let workspace = Workspace::new();
    let config = workspace.write("pipeline.toml", PIPELINE);
    let output = workspace.run(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--token-env",
        "ASSAY_SURELY_UNSET_VARIABLE",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ASSAY_SURELY_UNSET_VARIABLE"), "{stderr}");
}
