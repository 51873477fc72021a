//! The filesystem view inside the sandbox and the launch plan that builds it.
//!
//! Visible: read-only binds of the toolchain (`/usr`, the `/bin`, `/lib*` links or dirs, the dynamic
//! loader cache, the Python prefix when it lives outside `/usr`, and any extra read-only binds), a few
//! device nodes, and a size-capped tmpfs at `/box` holding the per-execution working directory
//! (`/box/work`), `/tmp` (a link to `/box/tmp`) and the server-private capture files (`/box/io`, a separate
//! tmpfs with mode 0700 owned by the server).
//! Not visible: `/proc`, `/sys`, `/root`, `/home`, `/work`, the host `/tmp`, `/etc` beyond the loader cache.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sys::statvfs::{FsFlags, statvfs};

use crate::launch::{LaunchPlan, Step};
use crate::{SandboxConfig, SandboxError};

/// Host staging directory on which the new root tmpfs is mounted (only inside the private mount
/// namespace). Extra binds below it would be hidden, which [`plan`] rejects.
const STAGE: &str = "/tmp";
const ALWAYS: [&str; 2] = ["/usr", "/etc/ld.so.cache"];
const IF_PRESENT: [&str; 7] = [
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/alternatives",
];
const DEVICES: [&str; 5] = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"];

/// The interpreter that runs the fork server.
#[derive(Debug, Clone)]
pub(crate) struct Interpreter {
    pub executable: PathBuf,
    pub prefix: PathBuf,
}

impl Interpreter {
    /// Resolves `configured` (or `python3` on PATH, through shims such as pyenv's) to the real binary
    /// and its installation prefix by asking the interpreter itself.
    pub fn discover(configured: Option<&Path>) -> Result<Self, SandboxError> {
        let program = configured.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
        let probe = "import sys; print(sys.executable); print(sys.base_prefix)";
        let output = Command::new(&program)
            .args(["-I", "-S", "-c", probe])
            .output()
            .map_err(|e| SandboxError::Interpreter(format!("{}: {e}", program.display())))?;
        if !output.status.success() {
            return Err(SandboxError::Interpreter(format!(
                "{} exited with {}",
                program.display(),
                output.status
            )));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        let (Some(executable), Some(prefix)) = (lines.next(), lines.next()) else {
            return Err(SandboxError::Interpreter(format!("unexpected probe output {text:?}")));
        };
        let canonical =
            |p: &str| std::fs::canonicalize(p).map_err(|e| SandboxError::Interpreter(format!("canonicalize {p}: {e}")));
        Ok(Self {
            executable: canonical(executable)?,
            prefix: canonical(prefix)?,
        })
    }
}

fn c_string(path: &Path) -> Result<CString, SandboxError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SandboxError::BindSource {
        path: path.to_path_buf(),
        reason: "contains NUL".into(),
    })
}

fn staged(path: &Path) -> PathBuf {
    Path::new(STAGE).join(path.strip_prefix("/").unwrap_or(path))
}

/// MS_* flags to remount a bind read-only, keeping the flags the kernel locks for user namespaces.
fn read_only_flags(path: &Path) -> Result<libc::c_ulong, SandboxError> {
    let flags = statvfs(path)
        .map_err(|e| SandboxError::BindSource {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .flags();
    let mut result = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
    for (statvfs_flag, mount_flag) in [
        (FsFlags::ST_NOEXEC, libc::MS_NOEXEC),
        (FsFlags::ST_NOATIME, libc::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, libc::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if flags.contains(statvfs_flag) {
            result |= mount_flag;
        }
    }
    Ok(result)
}

struct Builder {
    steps: Vec<Step>,
    made: BTreeSet<PathBuf>,
}

impl Builder {
    fn mkdir(&mut self, inside: &Path, mode: libc::mode_t) -> Result<(), SandboxError> {
        if self.made.insert(inside.to_path_buf()) {
            self.steps.push(Step::Mkdir {
                path: c_string(&staged(inside))?,
                mode,
            });
        }
        Ok(())
    }

    fn parents(&mut self, inside: &Path) -> Result<(), SandboxError> {
        let ancestors: Vec<&Path> = inside.ancestors().skip(1).filter(|p| *p != Path::new("/")).collect();
        for ancestor in ancestors.into_iter().rev() {
            self.mkdir(ancestor, 0o755)?;
        }
        Ok(())
    }

    /// Makes host `path` visible at the same path: links are recreated, dirs and files bound.
    fn expose(&mut self, path: &Path, read_only: bool) -> Result<(), SandboxError> {
        let bad = |reason: String| SandboxError::BindSource {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_absolute() {
            return Err(bad("must be absolute".into()));
        }
        if path.starts_with(STAGE) || path == Path::new("/") {
            return Err(bad(format!("cannot be / or under {STAGE} (the staging mount point)")));
        }
        let metadata = std::fs::symlink_metadata(path).map_err(|e| bad(e.to_string()))?;
        self.parents(path)?;
        if metadata.file_type().is_symlink() {
            let target = std::fs::read_link(path).map_err(|e| bad(e.to_string()))?;
            self.steps.push(Step::Symlink {
                target: c_string(&target)?,
                link: c_string(&staged(path))?,
            });
            return Ok(());
        }
        if metadata.is_dir() {
            self.mkdir(path, 0o755)?;
        } else {
            self.steps.push(Step::Touch {
                path: c_string(&staged(path))?,
            });
        }
        let remount = if read_only { Some(read_only_flags(path)?) } else { None };
        self.steps.push(Step::Bind {
            source: c_string(path)?,
            target: c_string(&staged(path))?,
            remount,
        });
        Ok(())
    }
}

/// Builds the launch plan for `config` with `interpreter` visible inside.
pub(crate) fn plan(config: &SandboxConfig, interpreter: &Interpreter) -> Result<LaunchPlan, SandboxError> {
    let mut builder = Builder {
        steps: Vec::new(),
        made: BTreeSet::new(),
    };
    for path in ALWAYS {
        builder.expose(Path::new(path), true)?;
    }
    for path in IF_PRESENT {
        if Path::new(path).symlink_metadata().is_ok() {
            builder.expose(Path::new(path), true)?;
        }
    }
    if !interpreter.prefix.starts_with("/usr") {
        builder.expose(&interpreter.prefix, true)?;
    }
    for path in &config.extra_ro_binds {
        builder.expose(path, true)?;
    }
    for device in DEVICES {
        builder.expose(Path::new(device), false)?;
    }
    builder.mkdir(Path::new("/box"), 0o755)?;
    let base = config.host_uid_base;
    let options = format!(
        "size={},nr_inodes=16384,mode=0755,uid={base},gid={base}",
        config.box_bytes
    );
    builder.steps.push(Step::Tmpfs {
        target: c_string(&staged(Path::new("/box")))?,
        options: CString::new(options).map_err(|_| SandboxError::Interpreter("tmpfs options".into()))?,
    });
    // Captured output lives on its own tmpfs so that a candidate filling /box cannot make its own
    // stdout fail, and the candidate cannot reach it by path (mode 0700, owned by the server).
    builder.mkdir(Path::new("/box/io"), 0o755)?;
    let options = format!(
        "size={},nr_inodes=64,mode=0700,uid={base},gid={base}",
        config.capture_bytes
    );
    builder.steps.push(Step::Tmpfs {
        target: c_string(&staged(Path::new("/box/io")))?,
        options: CString::new(options).map_err(|_| SandboxError::Interpreter("tmpfs options".into()))?,
    });
    builder.steps.push(Step::Symlink {
        target: c"/box/tmp".to_owned(),
        link: c_string(&staged(Path::new("/tmp")))?,
    });
    let map = format!("0 {} 2\n", config.host_uid_base).into_bytes();
    Ok(LaunchPlan {
        stage: c_string(Path::new(STAGE))?,
        stage_options: c"size=1m,nr_inodes=4096,mode=0755".to_owned(),
        old_root: c_string(&staged(Path::new("/.old")))?,
        steps: builder.steps,
        uid_map: map.clone(),
        gid_map: map,
        hostname: b"sandbox".to_vec(),
    })
}
