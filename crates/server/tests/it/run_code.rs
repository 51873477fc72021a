//! `/run_code` in SandboxFusion's format, on the real sandbox (needs root, as the sandbox crate's tests do).

use serde_json::{Value, json};

use crate::util::{TEXT_PIPELINE, metric, start, test_config};

fn run(code: &str, language: &str) -> Value {
    json!({"code": code, "language": language, "compile_timeout": 20, "run_timeout": 5, "memory_limit_MB": 512,
           "files": {}, "fetch_files": []})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_code_speaks_sandbox_fusion() {
    let config = assay_server::ServerConfig {
        sandbox_workers: Some(1),
        ..test_config()
    };
    let server = start(TEXT_PIPELINE, config).await;

    let mut request = run("import sys\nprint(sys.stdin.read()[::-1])", "python");
    request["stdin"] = json!("abc");
    let (status, body) = server.post("/run_code", &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "Success", "{body}");
    assert_eq!(body["compile_result"], Value::Null);
    assert_eq!(body["run_result"]["status"], "Finished");
    assert_eq!(body["run_result"]["return_code"], 0);
    assert_eq!(body["run_result"]["stdout"], "cba\n");
    assert!(body["run_result"]["execution_time"].as_f64().unwrap() > 0.0);
    assert_eq!(body["files"], json!({}));

    let (_, body) = server.post("/run_code", &run("raise SystemExit(3)", "python")).await;
    assert_eq!(body["status"], "Failed", "{body}");
    assert_eq!(body["run_result"]["return_code"], 3);

    let mut request = run("while True: pass", "python");
    request["run_timeout"] = json!(0.5);
    let (_, body) = server.post("/run_code", &request).await;
    assert_eq!(body["status"], "Failed", "{body}");
    assert_eq!(body["run_result"]["status"], "TimeLimitExceeded");

    let mut request = run("print(open('data/in.txt').read().upper())", "python");
    request["files"] = json!({"data/in.txt": "aGVsbG8="});
    let (_, body) = server.post("/run_code", &request).await;
    assert_eq!(body["status"], "Success", "{body}");
    assert_eq!(body["run_result"]["stdout"], "HELLO\n");

    let program = "#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}";
    let mut request = run(program, "cpp");
    request["stdin"] = json!("2 40");
    let (_, body) = server.post("/run_code", &request).await;
    assert_eq!(body["status"], "Success", "{body}");
    assert_eq!(body["compile_result"]["status"], "Finished");
    assert_eq!(body["compile_result"]["return_code"], 0);
    assert_eq!(body["run_result"]["stdout"], "42\n");

    let (_, body) = server.post("/run_code", &run("int main( { return 0; }", "c")).await;
    assert_eq!(body["status"], "Failed", "{body}");
    assert_ne!(body["compile_result"]["return_code"], 0);
    assert!(
        body["compile_result"]["stderr"].as_str().unwrap().contains("error"),
        "{body}"
    );
    assert_eq!(body["run_result"], Value::Null);

    // fetch_files: what the program wrote comes back base64-encoded; links out of the directory do not.
    let program = "import os\nopen('out.txt', 'w').write('42')\nos.symlink('/etc/passwd', 'passwd')";
    let mut request = run(program, "python");
    request["fetch_files"] = json!(["out.txt", "passwd", "never_written.txt"]);
    let (status, body) = server.post("/run_code", &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "Success", "{body}");
    assert_eq!(body["files"], json!({"out.txt": "NDI="}), "{body}");
    let program = "#include <stdio.h>\nint main(){FILE*f=fopen(\"res.txt\",\"w\");fputs(\"c wrote\",f);fclose(f);}";
    let mut request = run(program, "c");
    request["fetch_files"] = json!(["res.txt", "prog"]);
    request["memory_limit_MB"] = json!(-1);
    let (_, body) = server.post("/run_code", &request).await;
    assert_eq!(body["status"], "Success", "{body}");
    assert_eq!(body["files"]["res.txt"], "YyB3cm90ZQ==", "{body}");

    let text = server.metrics().await;
    assert_eq!(metric(&text, "assay_sandbox_workers{state=\"total\"}"), Some(1.0));
    assert_eq!(metric(&text, "assay_sandbox_jobs"), Some(0.0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_code_refuses_what_it_cannot_honour() {
    let server = start(TEXT_PIPELINE, test_config()).await;
    let mut cases = vec![(run("x", "cobol"), "language")];
    let mut fetch = run("x", "python");
    fetch["fetch_files"] = json!(["../x"]);
    cases.push((fetch, "fetch_files"));
    let mut absolute = run("x", "python");
    absolute["fetch_files"] = json!(["/etc/passwd"]);
    cases.push((absolute, "fetch_files"));
    let mut slow = run("x", "python");
    slow["run_timeout"] = json!(10_000);
    cases.push((slow, "run_timeout"));
    let mut memory = run("x", "python");
    memory["memory_limit_MB"] = json!(1);
    cases.push((memory, "memory_limit_MB"));
    let mut files = run("x", "python");
    files["files"] = json!({"a.txt": "not base64!"});
    cases.push((files, "files.a.txt"));
    for (request, field) in cases {
        let (status, body) = server.post("/run_code", &request).await;
        assert_eq!(status, 400, "{request}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    server.stop().await;
}
