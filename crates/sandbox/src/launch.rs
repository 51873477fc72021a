//! Entering the namespaces. This code runs in std's `pre_exec` hook, i.e. in the child of a fork of a
//! possibly multi-threaded program, so it makes only async-signal-safe system calls on data (C strings,
//! map contents) prepared before the fork, and never allocates.
//!
//! Process chain: Rust -> `P1` (std's forked child; stays in the host PID namespace, writes the uid/gid
//! maps of P2 — which needs CAP_SETUID in the parent user namespace — then waits for P2) -> `P2` (PID 1
//! of a new PID namespace; creates mount/net/IPC/UTS namespaces, builds the filesystem view, pivots, then
//! enters a new user namespace whose uid 0 is an unprivileged host uid, and execs the fork server). Killing P1 kills P2 (parent-death
//! signal), and the death of a PID namespace's init kills everything inside it.

use std::ffi::{CStr, CString};
use std::io;
use std::ptr;

/// One filesystem-building step, with host paths already prefixed by the staging root.
pub(crate) enum Step {
    Mkdir {
        path: CString,
        mode: libc::mode_t,
    },
    Touch {
        path: CString,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    Bind {
        source: CString,
        target: CString,
        remount: Option<libc::c_ulong>,
    },
    Tmpfs {
        target: CString,
        options: CString,
    },
}

/// Everything the post-fork code needs, computed before the fork.
pub(crate) struct LaunchPlan {
    pub stage: CString,
    pub stage_options: CString,
    pub old_root: CString,
    pub steps: Vec<Step>,
    pub uid_map: Vec<u8>,
    pub gid_map: Vec<u8>,
    pub hostname: Vec<u8>,
}

const OLD_ROOT_INSIDE: &CStr = c"/.old";

fn check(result: libc::c_int, what: &[u8], path: Option<&CStr>) -> io::Result<()> {
    if result >= 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    diagnose(what, path);
    Err(error)
}

/// Writes "sandbox setup: <what> <path>" to stderr (the diagnostics pipe) without allocating.
fn diagnose(what: &[u8], path: Option<&CStr>) {
    let pieces: [&[u8]; 4] = [
        b"sandbox setup failed at: ",
        what,
        path.map_or(b"", |p| p.to_bytes()),
        b"\n",
    ];
    for piece in pieces {
        // SAFETY: writing a valid buffer to fd 2; a failed diagnostic write is harmless.
        unsafe { libc::write(2, piece.as_ptr().cast(), piece.len()) };
    }
}

fn pipe() -> io::Result<(libc::c_int, libc::c_int)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array.
    check(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        b"pipe2",
        None,
    )?;
    Ok((fds[0], fds[1]))
}

fn close(fd: libc::c_int) {
    // SAFETY: closing an fd this code owns.
    unsafe { libc::close(fd) };
}

fn write_byte(fd: libc::c_int) -> bool {
    // SAFETY: one-byte write from a valid buffer.
    unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) == 1 }
}

fn wait_byte(fd: libc::c_int) -> bool {
    let mut byte = 0u8;
    loop {
        // SAFETY: one-byte read into a valid buffer.
        let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
        if n == 1 {
            return true;
        }
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return false;
    }
}

/// Formats `/proc/<pid>/<leaf>\0` into `buffer` without allocating.
fn proc_path<'a>(buffer: &'a mut [u8; 64], pid: libc::pid_t, leaf: &[u8]) -> &'a CStr {
    let mut digits = [0u8; 12];
    let mut count = 0;
    let mut value = pid.unsigned_abs();
    loop {
        digits[count] = b'0' + (value % 10) as u8;
        count += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let mut at = 0;
    for &byte in b"/proc/"
        .iter()
        .chain(digits[..count].iter().rev())
        .chain(b"/")
        .chain(leaf)
    {
        buffer[at] = byte;
        at += 1;
    }
    buffer[at] = 0;
    CStr::from_bytes_until_nul(&buffer[..=at]).unwrap_or(c"/proc/self/invalid")
}

fn write_file(path: &CStr, content: &[u8]) -> bool {
    // SAFETY: open/write/close on a valid NUL-terminated path and buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            diagnose(b"open ", Some(path));
            return false;
        }
        let written = libc::write(fd, content.as_ptr().cast(), content.len());
        libc::close(fd);
        if written != content.len() as isize {
            diagnose(b"write ", Some(path));
            return false;
        }
    }
    true
}

fn write_maps(plan: &LaunchPlan, pid: libc::pid_t) -> bool {
    let mut buffer = [0u8; 64];
    if !write_file(proc_path(&mut buffer, pid, b"uid_map"), &plan.uid_map) {
        return false;
    }
    write_file(proc_path(&mut buffer, pid, b"gid_map"), &plan.gid_map)
}

/// The `pre_exec` entry point (process P1). Returns only in P2, ready to exec the fork server.
pub(crate) fn enter(plan: &LaunchPlan) -> io::Result<()> {
    // SAFETY: unshare has no memory-safety preconditions.
    check(
        unsafe { libc::unshare(libc::CLONE_NEWPID) },
        b"unshare(CLONE_NEWPID)",
        None,
    )?;
    let (ready_r, ready_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    // SAFETY: we are the single-threaded child of std's fork; the new child only runs this module's
    // async-signal-safe code before exec.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return check(-1, b"fork", None);
    }
    if pid == 0 {
        close(ready_r);
        close(go_w);
        return become_init(plan, ready_w, go_r);
    }
    close(ready_w);
    close(go_r);
    if wait_byte(ready_r) && write_maps(plan, pid) {
        write_byte(go_w);
    }
    close(ready_r);
    close(go_w);
    // Drop every descriptor (std's exec-error pipe included) so that only P2 holds the server's pipes.
    // SAFETY: close_range on our own descriptor table.
    unsafe { libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) };
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child with a valid status pointer.
        let waited = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if waited == pid || (waited < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted) {
            break;
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    // SAFETY: _exit never returns and runs no atexit handlers (we are a forked copy of the caller).
    unsafe { libc::_exit(code) }
}

/// Process P2: PID 1 of the new PID namespace.
fn become_init(plan: &LaunchPlan, ready_w: libc::c_int, go_r: libc::c_int) -> io::Result<()> {
    // SAFETY (whole function): plain system calls on NUL-terminated strings owned by `plan`.
    unsafe {
        // Mount/net/IPC/UTS namespaces are created while still real root, so they belong to the initial
        // user namespace: the binds can traverse host directories that only root may enter (pyenv under
        // /root), and nothing inside the sandbox ever holds capabilities over them.
        let namespaces = libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
        check(libc::unshare(namespaces), b"unshare(mount/net/ipc/uts)", None)?;
        let root = c"/";
        let no_data = ptr::null();
        check(
            libc::mount(
                ptr::null(),
                root.as_ptr(),
                ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                no_data,
            ),
            b"make / private",
            None,
        )?;
        check(
            libc::mount(
                c"tmpfs".as_ptr(),
                plan.stage.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                plan.stage_options.as_ptr().cast(),
            ),
            b"mount staging tmpfs ",
            Some(&plan.stage),
        )?;
        for step in &plan.steps {
            run_step(step)?;
        }
        check(
            libc::mkdir(plan.old_root.as_ptr(), 0o700),
            b"mkdir ",
            Some(&plan.old_root),
        )?;
        let pivot = libc::syscall(libc::SYS_pivot_root, plan.stage.as_ptr(), plan.old_root.as_ptr());
        check(pivot as libc::c_int, b"pivot_root", None)?;
        check(libc::chdir(root.as_ptr()), b"chdir /", None)?;
        check(
            libc::umount2(OLD_ROOT_INSIDE.as_ptr(), libc::MNT_DETACH),
            b"detach old root",
            None,
        )?;
        check(libc::rmdir(OLD_ROOT_INSIDE.as_ptr()), b"rmdir old root", None)?;
        let read_only = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        check(
            libc::mount(ptr::null(), root.as_ptr(), ptr::null(), read_only, no_data),
            b"remount / ro",
            None,
        )?;
        check(
            libc::sethostname(plan.hostname.as_ptr().cast(), plan.hostname.len()),
            b"sethostname",
            None,
        )?;
        // Last, the user namespace: uid 0 inside maps to an unprivileged host uid, written by P1.
        check(libc::unshare(libc::CLONE_NEWUSER), b"unshare(CLONE_NEWUSER)", None)?;
        write_byte(ready_w);
        close(ready_w);
        if !wait_byte(go_r) {
            diagnose(b"uid/gid map not written by parent", None);
            return Err(io::Error::from_raw_os_error(libc::EPERM));
        }
        close(go_r);
        check(libc::setgroups(0, ptr::null()), b"setgroups", None)?;
        check(libc::setresgid(0, 0, 0), b"setresgid", None)?;
        check(libc::setresuid(0, 0, 0), b"setresuid", None)?;
        // Set after the uid change (which clears it). If P1 is already gone the server still exits:
        // its request pipe closes when the Rust side drops the worker.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        // Inherited descriptors other than stdio must not reach the server (std's exec-error pipe is
        // already close-on-exec; this marks the rest the same way instead of closing them).
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
    }
    Ok(())
}

fn run_step(step: &Step) -> io::Result<()> {
    // SAFETY (whole function): system calls on NUL-terminated strings owned by the plan.
    unsafe {
        match step {
            Step::Mkdir { path, mode } => {
                if libc::mkdir(path.as_ptr(), *mode) < 0
                    && io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST)
                {
                    return check(-1, b"mkdir ", Some(path));
                }
                check(libc::chmod(path.as_ptr(), *mode), b"chmod ", Some(path))
            }
            Step::Touch { path } => {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC, 0o644);
                check(fd, b"create mount point ", Some(path))?;
                close(fd);
                Ok(())
            }
            Step::Symlink { target, link } => {
                check(libc::symlink(target.as_ptr(), link.as_ptr()), b"symlink ", Some(link))
            }
            Step::Bind {
                source,
                target,
                remount,
            } => {
                let flags = libc::MS_BIND | libc::MS_REC;
                let bind = libc::mount(source.as_ptr(), target.as_ptr(), ptr::null(), flags, ptr::null());
                check(bind, b"bind ", Some(source))?;
                if let Some(flags) = remount {
                    let again = libc::mount(ptr::null(), target.as_ptr(), ptr::null(), *flags, ptr::null());
                    check(again, b"remount read-only ", Some(target))?;
                }
                Ok(())
            }
            Step::Tmpfs { target, options } => {
                let flags = libc::MS_NOSUID | libc::MS_NODEV;
                let mounted = libc::mount(
                    c"tmpfs".as_ptr(),
                    target.as_ptr(),
                    c"tmpfs".as_ptr(),
                    flags,
                    options.as_ptr().cast(),
                );
                check(mounted, b"mount tmpfs ", Some(target))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_paths_are_formatted_without_allocation() {
        let mut buffer = [0u8; 64];
        assert_eq!(proc_path(&mut buffer, 4_194_304, b"uid_map"), c"/proc/4194304/uid_map");
        assert_eq!(proc_path(&mut buffer, 7, b"gid_map"), c"/proc/7/gid_map");
    }
}
