//! The host directory through which sandboxed candidates reach their trusted checker.
//!
//! The sandbox has no network and its own tmpfs, so the only way a candidate can talk to a live process
//! outside is a Unix socket in a host directory bound read-only into the sandbox
//! (`SandboxConfig::extra_ro_binds`; connecting to a socket needs no write access to the mount). The
//! directory is root-owned with mode 0711: candidates (an unprivileged uid) can traverse it but not list
//! it, so a socket is reachable only by whoever knows its 128-bit random name, which is given to one job
//! only. The checker accepts one connection and unlinks the socket at once.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Parents tried in order; the sandbox refuses binds under `/tmp` (its staging mount point).
const PARENTS: [&str; 2] = ["/dev/shm", "/run"];

/// A private directory for per-sample sockets, removed on drop.
#[derive(Debug)]
pub(crate) struct ChannelDir {
    path: PathBuf,
}

impl ChannelDir {
    pub fn create() -> io::Result<Self> {
        let name = format!("assay-code-{}-{}", std::process::id(), random_hex(8)?);
        let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no parent directory for sockets");
        for parent in PARENTS {
            let path = Path::new(parent).join(&name);
            match fs::create_dir(&path) {
                Ok(()) => {
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o711))?;
                    return Ok(Self { path });
                }
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh, unguessable socket path inside the directory (not created).
    pub fn new_socket_path(&self) -> io::Result<PathBuf> {
        Ok(self.path.join(format!("{}.sock", random_hex(16)?)))
    }
}

impl Drop for ChannelDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// `bytes` random bytes from the kernel, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
