//! Hostile programs: each is contained, classified, and the pool keeps serving afterwards.

mod common;

use std::time::{Duration, Instant};

use assay_sandbox::{Limits, Pool, SandboxConfig, Status};
use common::{assert_pool_healthy, pool, python};

/// A one-server pool with its own host uids, so that process counts are not disturbed by other tests.
fn isolated_pool(host_uid_base: u32) -> Pool {
    let config = SandboxConfig {
        host_uid_base,
        ..SandboxConfig::default()
    };
    Pool::new(common::sandbox_with(config), Some(1)).unwrap()
}

/// Candidates run as host uid `base + 1`; after a run no process of that uid may survive.
fn candidate_processes_on_host(host_uid_base: u32) -> usize {
    let candidate_uid = host_uid_base + 1;
    let mut count = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let uid_line = status.lines().find(|line| line.starts_with("Uid:")).unwrap_or("");
        if uid_line.split_whitespace().nth(1) == Some(candidate_uid.to_string().as_str()) {
            count += 1;
        }
    }
    count
}

#[test]
fn network_is_unreachable() {
    let pool = pool();
    let source = r#"
import socket
results = []
for family, address in ((socket.AF_INET, ("1.1.1.1", 53)), (socket.AF_INET, ("127.0.0.1", 22)), (socket.AF_INET6, ("::1", 22))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        results.append("connected")
    except OSError as error:
        results.append(type(error).__name__)
try:
    socket.getaddrinfo("example.com", 80)
    results.append("resolved")
except OSError as error:
    results.append("dns-failed")
print(results)
"#;
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    let text = outcome.stdout_text();
    assert!(!text.contains("connected") && !text.contains("resolved"), "{text}");
    assert!(text.contains("dns-failed"), "{text}");
}

#[test]
fn unix_sockets_still_work_but_inet_is_refused_by_seccomp() {
    let pool = pool();
    let source = "import socket\na, b = socket.socketpair()\na.send(b'hi')\nprint(b.recv(2))\ntry:\n    socket.socket(socket.AF_INET)\nexcept PermissionError:\n    print('EPERM')";
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(
        outcome.stdout_text(),
        "b'hi'\nEPERM\n",
        "stderr: {}",
        outcome.stderr_text()
    );
}

#[test]
fn every_job_runs_under_no_new_privs_and_the_seccomp_filter() {
    // The fork server installs both on itself once; each child (and an exec'd program) inherits them.
    let sandbox = common::sandbox();
    let interpreter = sandbox.python().to_string_lossy().into_owned();
    let pool = Pool::new(sandbox, Some(1)).unwrap();
    // PR_GET_NO_NEW_PRIVS (39) is 1, PR_GET_SECCOMP (21) is 2 (filter mode).
    let probe =
        "import ctypes\nlibc = ctypes.CDLL(None)\nprint(libc.prctl(39, 0, 0, 0, 0), libc.prctl(21, 0, 0, 0, 0))";
    for _ in 0..2 {
        let outcome = pool.run(&python(probe)).unwrap();
        assert_eq!(outcome.stdout_text(), "1 2\n", "stderr: {}", outcome.stderr_text());
    }
    let exec =
        assay_sandbox::Job::exec([interpreter.as_str(), "-I", "-S", "-c", probe]).with_limits(common::quick_limits());
    let outcome = pool.run(&exec).unwrap();
    assert_eq!(outcome.stdout_text(), "1 2\n", "stderr: {}", outcome.stderr_text());
}

#[test]
fn host_files_are_invisible() {
    let pool = pool();
    let this_test = file!();
    let source = format!(
        r#"
import os
for path in ["/work", "/etc/shadow", "/etc/passwd", "/root/.ssh", "/proc/1/environ", "/proc/self/environ", "/sys", "/home", {this:?}, "/work/main/" + {this:?}]:
    print(path, os.path.exists(path))
print("env", sorted(os.environ))
print(sorted(os.listdir("/")))
"#,
        this = this_test
    );
    let outcome = pool.run(&python(&source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    let text = outcome.stdout_text();
    for line in text
        .lines()
        .filter(|line| !line.starts_with("env") && !line.starts_with('['))
    {
        assert!(line.ends_with(" False"), "visible inside the sandbox: {line}");
    }
    assert!(
        text.contains("env ['HOME', 'LANG', 'PATH', 'PYTHONHASHSEED', 'TMPDIR']"),
        "{text}"
    );
    assert!(!text.contains("'work'") && !text.contains("'proc'"), "{text}");
}

#[test]
fn writes_outside_the_workdir_fail_and_nothing_persists() {
    let pool = pool();
    let source = r#"
import os
for path in ["/usr/evil", "/etc/evil", "/evil", "/box/evil", "/box/io/evil", "/root/.pyenv/evil"]:
    try:
        open(path, "w").write("x")
        print("wrote", path)
    except OSError as error:
        print("denied", path, type(error).__name__)
open("/tmp/left-behind", "w").write("x")
open("left-behind", "w").write("x")
print("ok")
"#;
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert!(!outcome.stdout_text().contains("wrote"), "{}", outcome.stdout_text());
    for _ in 0..pool.size() * 2 {
        let check =
            "import os\nprint(os.path.exists('/tmp/left-behind'), os.path.exists('left-behind'), os.listdir('.'))";
        let later = pool.run(&python(check)).unwrap();
        assert_eq!(later.stdout_text(), "False False []\n");
    }
}

#[test]
fn deep_and_locked_directory_trees_are_wiped() {
    let pool = isolated_pool(1_300_000_020);
    let source = r#"
import os
for target in (".", "/tmp"):
    os.chdir(target)
    for _ in range(3000):
        os.mkdir("d")
        os.chdir("d")
    open("leaf", "w").write("x")
    os.chmod(".", 0)
os.chdir("/box/work")
os.mkdir("locked")
open("locked/f", "w").write("x")
os.chmod("locked", 0)
print("built")
"#;
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.stdout_text(), "built\n", "stderr: {}", outcome.stderr_text());
    let check = pool
        .run(&python("import os\nprint(os.listdir('.'), os.listdir('/tmp'))"))
        .unwrap();
    assert_eq!(check.stdout_text(), "[] []\n", "stderr: {}", check.stderr_text());
}

#[test]
fn fork_bomb_is_contained() {
    let source = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass";
    let pool = isolated_pool(1_300_000_000);
    let started = Instant::now();
    let outcome = pool
        .run(&python(source).with_limits(common::deadline_limits()))
        .unwrap();
    assert_eq!(outcome.status, Status::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        candidate_processes_on_host(1_300_000_000),
        0,
        "candidate processes survived"
    );
    assert_pool_healthy(&pool);
}

#[test]
fn orphans_and_daemons_are_killed_after_the_run() {
    let source = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\nprint('parent done')";
    let pool = isolated_pool(1_300_000_010);
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert_eq!(
        candidate_processes_on_host(1_300_000_010),
        0,
        "a daemonised grandchild survived"
    );
    assert_pool_healthy(&pool);
}

#[test]
fn killing_the_parent_is_harmless() {
    let pool = pool();
    let source = r#"
import os, signal
print("ppid", os.getppid(), flush=True)
for target in (os.getppid(), 1, -1, 0):
    try:
        os.kill(target, signal.SIGKILL)
        print("sent", target, flush=True)
    except OSError as error:
        print("refused", target, type(error).__name__, flush=True)
"#;
    let outcome = pool.run(&python(source)).unwrap();
    // kill(0) hits the candidate's own process group: a crash, not a pass.
    assert_eq!(
        outcome.status,
        Status::Crashed { signal: libc::SIGKILL },
        "out: {}",
        outcome.stdout_text()
    );
    assert!(
        outcome.stdout_text().contains("refused 1 PermissionError"),
        "{}",
        outcome.stdout_text()
    );
    for _ in 0..4 {
        assert_pool_healthy(&pool);
    }
}

#[test]
fn ptrace_of_the_server_is_refused() {
    let pool = pool();
    let source =
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())";
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(
        outcome.stdout_text(),
        format!("-1 {}\n", libc::EPERM),
        "stderr: {}",
        outcome.stderr_text()
    );
    assert_pool_healthy(&pool);
}

#[test]
fn each_job_leads_its_own_process_group_without_a_terminal() {
    let pool = pool();
    // The server (PID 1) leads the one session of the sandbox; each job leads a process group in it, so
    // kill(0) reaches only the job's own processes, and no process has a controlling terminal to reach.
    let source = r#"
import os
try:
    os.open("/dev/tty", os.O_RDWR)
    tty = "opened"
except OSError:
    tty = "none"
print(os.getpgid(0) == os.getpid(), os.getsid(0), tty)
"#;
    for _ in 0..2 {
        let outcome = pool.run(&python(source)).unwrap();
        assert_eq!(
            outcome.stdout_text(),
            "True 1 none\n",
            "stderr: {}",
            outcome.stderr_text()
        );
    }
}

#[test]
fn namespaces_and_mounts_cannot_be_created() {
    let pool = pool();
    let source = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.unshare(0x10000000), libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), libc.setuid(0))";
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.stdout_text(), "-1 -1 -1\n", "stderr: {}", outcome.stderr_text());
}

#[test]
fn setuid_tricks_have_nothing_to_work_with() {
    let pool = pool();
    // nosuid on every mount, no_new_privs, no capabilities: a setuid binary would not elevate.
    let source = r#"
import os
flags = [bool(os.statvfs(p).f_flag & os.ST_NOSUID) for p in ("/", "/usr", "/box", "/box/work", "/tmp")]
try:
    os.setuid(0)
    print("setuid worked")
except PermissionError:
    print("setuid refused")
status = open("/proc/self/status").read() if os.path.exists("/proc/self/status") else "no proc"
print(flags, os.getuid(), os.geteuid(), status)
"#;
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(
        outcome.stdout_text(),
        "setuid refused\n[True, True, True, True, True] 1 1 no proc\n",
        "{}",
        outcome.stderr_text()
    );
}

#[test]
fn huge_output_is_truncated_and_flagged() {
    let pool = pool();
    let limits = Limits {
        output_bytes: 4096,
        ..common::quick_limits()
    };
    let job = python("import sys\nchunk = 'y' * 65536\nwhile True:\n    sys.stdout.write(chunk)").with_limits(limits);
    let outcome = pool.run(&job).unwrap();
    assert!(outcome.stdout_truncated);
    assert_eq!(outcome.stdout.len(), 4096);
    assert!(outcome.stdout.iter().all(|&b| b == b'y'));
    // Stopped by the 16 MiB file-size limit long before 1 GB; Python turns EFBIG into an OSError.
    assert_eq!(outcome.status, Status::Failed { exit_code: 1 });
    assert!(
        outcome.stderr_text().contains("File too large"),
        "{}",
        outcome.stderr_text()
    );
    assert_pool_healthy(&pool);
}

#[test]
fn filling_tmp_is_contained() {
    let pool = pool();
    let source = "import os\nn = 0\ntry:\n    while True:\n        with open(f'/tmp/f{n}', 'wb') as f:\n            f.write(b'z' * (8 << 20))\n        n += 1\nexcept OSError as error:\n    print('stopped', type(error).__name__)";
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.status, Status::Passed, "stderr: {}", outcome.stderr_text());
    assert!(
        outcome.stdout_text().starts_with("stopped"),
        "{}",
        outcome.stdout_text()
    );
    assert_pool_healthy(&pool);
}

#[test]
fn children_get_fresh_limits_each_run() {
    let pool = pool();
    let source = "import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0])\nresource.setrlimit(resource.RLIMIT_AS, (64 << 20, 64 << 20))";
    for _ in 0..3 {
        let outcome = pool.run(&python(source)).unwrap();
        assert_eq!(
            outcome.stdout_text(),
            format!("{} 64\n", 512u64 << 20),
            "stderr: {}",
            outcome.stderr_text()
        );
    }
}
