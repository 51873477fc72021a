//! Running the binary in a fresh temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary directory with helpers to write inputs and run `assay` in it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write test file");
        path
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run assay")
    }

    /// Runs `assay score` and returns (exit code, output records).
    pub fn score(&self, config: &Path, input: &Path, extra: &[&str]) -> (Output, Vec<Value>) {
        let output = self.path("out.jsonl");
        let mut args = vec![
            "score",
            "--config",
            config.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let result = self.run(&args);
        let records = std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("output line is JSON"))
            .collect();
        (result, records)
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A pipeline with a strict format reward and a reference-based exact match.
pub const FORMAT_AND_MATCH: &str = r#"
name = "test"

[[reward]]
name = "format"
kind = "tags"
weight = 0.5

[[reward]]
name = "correct"
kind = "exact_match"
"#;

/// Reads a server's first stderr line (`... listening on http://ADDR ...`) and returns `ADDR` with the reader,
/// which holds the rest of the log.
pub fn listening_address(child: &mut std::process::Child) -> (String, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    let mut log = std::io::BufReader::new(child.stderr.take().expect("stderr is piped"));
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (addr, log)
}
