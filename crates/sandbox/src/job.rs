//! What to run: the program, its stdin, the files of its working directory and its limits.

use crate::{Limits, SandboxError};

/// The program to execute inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// Python source, executed as `__main__` by a child forked from the warm interpreter (no exec).
    Python(String),
    /// Bytes handed to `sandbox_preload.run(payload)` (see [`SandboxConfig::preload`](crate::SandboxConfig)) in a
    /// child forked from the warm interpreter, which then counts as the program. For harnesses whose preloaded
    /// helper loads the untrusted code itself: the child compiles no wrapper program and reads no stdin file.
    Preload(Vec<u8>),
    /// A command executed with `execve` inside the sandbox (absolute path as seen inside, e.g. a
    /// compiled binary placed in the working directory is `/box/work/<name>`).
    Exec(Vec<String>),
}

/// One execution request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// What to run.
    pub program: Program,
    /// Bytes given on stdin.
    pub stdin: Vec<u8>,
    /// Files written into the fresh working directory (`/box/work`), relative path → content.
    pub files: Vec<(String, Vec<u8>)>,
    /// Limits for this execution.
    pub limits: Limits,
}

impl Job {
    /// A Python program with no stdin, no files and default limits.
    pub fn python(source: impl Into<String>) -> Self {
        Self {
            program: Program::Python(source.into()),
            stdin: Vec::new(),
            files: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// An `execve` of `argv` with no stdin, no files and default limits.
    pub fn exec<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        Self {
            program: Program::Exec(argv.into_iter().map(Into::into).collect()),
            stdin: Vec::new(),
            files: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// Sets stdin.
    pub fn with_stdin(mut self, stdin: impl Into<Vec<u8>>) -> Self {
        self.stdin = stdin.into();
        self
    }

    /// Adds a file to the working directory.
    pub fn with_file(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.into(), content.into()));
        self
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks limits, argv and file paths before anything is sent to the sandbox.
    pub fn validate(&self) -> Result<(), SandboxError> {
        self.limits.validate()?;
        if let Program::Exec(argv) = &self.program {
            match argv.first() {
                Some(first) if first.starts_with('/') => {}
                _ => {
                    return Err(SandboxError::InvalidProgram(
                        "exec argv[0] must be an absolute path inside the sandbox",
                    ));
                }
            }
        }
        let mut paths = std::collections::BTreeSet::new();
        for (path, _) in &self.files {
            validate_file_path(path)?;
            paths.insert(path.as_str());
        }
        // A path that is also used as a directory of another ("a" and "a/b") could not be created.
        for path in &paths {
            let as_dir = format!("{path}/");
            if paths
                .range(as_dir.as_str()..)
                .next()
                .is_some_and(|next| next.starts_with(&as_dir))
            {
                return Err(SandboxError::InvalidFile {
                    path: (*path).to_owned(),
                    reason: "is both a file and the directory of another file",
                });
            }
        }
        Ok(())
    }

    /// The body read by the forked child (binary, little-endian; parsed by `child_setup` in `childsetup.c`):
    /// u8 kind (0 Python source, 1 preload payload, 2 exec), u32 argv count and each argument (u32 length +
    /// bytes), u32 file count and each file (u32 path length + path + u64 content length), u64 source length,
    /// u64 stdin length, then the source (or payload), stdin and the file contents.
    pub(crate) fn encode_body(&self) -> Vec<u8> {
        let (kind, argv, source): (u8, &[String], &[u8]) = match &self.program {
            Program::Python(source) => (0, &[], source.as_bytes()),
            Program::Preload(payload) => (1, &[], payload),
            Program::Exec(argv) => (2, argv, &[]),
        };
        let contents: usize = self.files.iter().map(|(_, content)| content.len()).sum();
        let mut body = Vec::with_capacity(64 + source.len() + self.stdin.len() + contents);
        body.push(kind);
        body.extend_from_slice(&frame_len(argv.len()).to_le_bytes());
        for arg in argv {
            push_text(&mut body, arg.as_bytes());
        }
        body.extend_from_slice(&frame_len(self.files.len()).to_le_bytes());
        for (path, content) in &self.files {
            push_text(&mut body, path.as_bytes());
            body.extend_from_slice(&(content.len() as u64).to_le_bytes());
        }
        body.extend_from_slice(&(source.len() as u64).to_le_bytes());
        body.extend_from_slice(&(self.stdin.len() as u64).to_le_bytes());
        body.extend_from_slice(source);
        body.extend_from_slice(&self.stdin);
        for (_, content) in &self.files {
            body.extend_from_slice(content);
        }
        body
    }
}

/// Appends `text` as a u32 length and its bytes (`take_text` in `childsetup.c`, `read_header` in `forkloop.c`).
pub(crate) fn push_text(buffer: &mut Vec<u8>, text: &[u8]) {
    buffer.extend_from_slice(&frame_len(text.len()).to_le_bytes());
    buffer.extend_from_slice(text);
}

/// Frame lengths are u32 on the wire; jobs are far below 4 GiB (the caller's memory is the real bound).
pub(crate) fn frame_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

pub(crate) fn validate_file_path(path: &str) -> Result<(), SandboxError> {
    let reject = |reason| {
        Err(SandboxError::InvalidFile {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return reject("empty path");
    }
    if path.contains('\0') {
        return reject("contains NUL");
    }
    if path.len() > 1024 {
        return reject("longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return reject("absolute path");
    }
    // Checked on the raw text: `Path::components` would silently normalise "a/./b" and "a//b".
    for segment in path.split('/') {
        match segment {
            "" => return reject("empty segment (leading, trailing or double '/')"),
            "." => return reject("contains '.'"),
            ".." => return reject("contains '..'"),
            long if long.len() > 255 => return reject("a path segment is longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_must_stay_inside_the_workdir() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "dir/", "a//b", "a\0b"] {
            assert!(validate_file_path(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["conftest.py", "pkg/mod.py", ".hidden"] {
            assert!(validate_file_path(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn a_file_cannot_also_be_a_directory() {
        let job = Job::python("pass").with_file("pkg", "x").with_file("pkg/mod.py", "y");
        assert!(matches!(job.validate(), Err(SandboxError::InvalidFile { path, .. }) if path == "pkg"));
        let fine = Job::python("pass")
            .with_file("pkg.py", "x")
            .with_file("pkg/mod.py", "y");
        assert!(fine.validate().is_ok());
    }

    #[test]
    fn exec_needs_an_absolute_program() {
        assert!(Job::exec(["python3"]).validate().is_err());
        assert!(Job::exec(["/usr/bin/true"]).validate().is_ok());
    }
}
