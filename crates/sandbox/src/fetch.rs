//! Files read back from the working directory after a run (SandboxFusion's `fetch_files`).

use crate::SandboxError;
use crate::job::validate_file_path;

/// Files read back after a run: (relative path, content), in request order.
pub type FetchedFiles = Vec<(String, Vec<u8>)>;

/// Which files of the working directory (`/box/work`) to hand back once the program and everything it started
/// are dead. Paths are relative and may not contain `.` or `..` segments; the fork server opens every component
/// without following symlinks, so a link pointing anywhere (even inside the working directory) is not read.
/// Files that are missing, not regular files, or beyond the remaining byte budget are left out of the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchFiles {
    /// Relative paths inside the working directory, in the order they are read.
    pub paths: Vec<String>,
    /// Most bytes returned in total; a file that does not fit in what remains is left out (not truncated).
    pub max_bytes: usize,
}

impl FetchFiles {
    /// Fetch `paths`, at most `max_bytes` in total.
    pub fn new<S: Into<String>>(paths: impl IntoIterator<Item = S>, max_bytes: usize) -> Self {
        Self {
            paths: paths.into_iter().map(Into::into).collect(),
            max_bytes,
        }
    }

    /// Checks every path (relative, no `.`/`..`, no empty segments) before anything is sent to the sandbox.
    pub fn validate(&self) -> Result<(), SandboxError> {
        self.paths.iter().try_for_each(|path| validate_file_path(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_working_directory_are_refused() {
        for bad in ["../x", "/etc/passwd", "a/../../x", "", "a//b"] {
            assert!(FetchFiles::new([bad], 1024).validate().is_err(), "{bad:?} accepted");
        }
        assert!(FetchFiles::new(["out.txt", "dir/result.json"], 1024).validate().is_ok());
    }
}
