//! Pool behaviour: dead servers are replaced, protocol pipes are out of reach, jobs run concurrently.

mod common;

use std::time::{Duration, Instant};

use assay_sandbox::{Pool, SandboxConfig, Status};
use common::{assert_pool_healthy, pool, python};

#[test]
fn a_dead_server_is_replaced() {
    let base = 1_300_000_100;
    let config = SandboxConfig {
        host_uid_base: base,
        ..SandboxConfig::default()
    };
    let pool = Pool::new(common::sandbox_with(config), Some(1)).unwrap();
    assert_pool_healthy(&pool);
    let servers = common::servers_with_host_uid(base);
    assert_eq!(
        servers.len(),
        1,
        "expected exactly one server process, found {servers:?}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(servers[0]),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // The next run may land on the dead server and report a sandbox error (ours, not the candidate's);
    // the one after must be served by a replacement.
    match pool.run(&python("print(6 * 7)")) {
        Ok(outcome) => assert_eq!(outcome.status, Status::Passed),
        Err(error) => assert!(error.to_string().contains("server"), "{error}"),
    }
    assert_pool_healthy(&pool);
    let replacement = common::servers_with_host_uid(base);
    let states: Vec<String> = replacement
        .iter()
        .map(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .unwrap_or_default()
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(replacement.len(), 1, "{states:?}");
    assert_ne!(replacement, servers);
}

#[test]
fn protocol_pipes_are_closed_in_the_child() {
    let pool = pool();
    let source = "import os\nopen_fds = []\nfor fd in range(3, 64):\n    try:\n        os.fstat(fd)\n        open_fds.append(fd)\n    except OSError:\n        pass\nprint(open_fds)";
    let outcome = pool.run(&python(source)).unwrap();
    assert_eq!(outcome.stdout_text(), "[]\n", "stderr: {}", outcome.stderr_text());
    assert_pool_healthy(&pool);
}

#[test]
fn children_run_concurrently_on_separate_servers() {
    let pool = pool();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let outcome = pool
                    .run(&python("import time; time.sleep(1.5); print('done')"))
                    .unwrap();
                assert_eq!(outcome.status, Status::Passed);
            });
        }
    });
    // Run one after the other, the two jobs would take at least 3 s.
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "took {:?}: the jobs did not overlap",
        started.elapsed()
    );
}

#[test]
fn preloaded_code_is_in_every_child_and_one_child_cannot_change_it_for_the_next() {
    let config = SandboxConfig {
        host_uid_base: 1_300_000_200,
        preload: Some("VALUE = 41\n\ndef answer():\n    return VALUE + 1\n".into()),
        ..SandboxConfig::default()
    };
    let pool = Pool::new(common::sandbox_with(config), Some(1)).unwrap();
    let job = python("import sandbox_preload\nprint(sandbox_preload.answer())\nsandbox_preload.VALUE = 0\n");
    for _ in 0..3 {
        let outcome = pool.run(&job).unwrap();
        assert_eq!(outcome.status, Status::Passed, "{}", outcome.stderr_text());
        assert_eq!(outcome.stdout_text(), "42\n");
    }
    let without = common::pool().run(&python("import sandbox_preload\n")).unwrap();
    assert_ne!(
        without.status,
        Status::Passed,
        "no preload configured, yet the module exists"
    );
}

#[test]
fn a_preload_that_does_not_compile_stops_the_start_with_the_compiler_error() {
    // The bootstrap compiles the server and the preload in a throwaway child: its failure must reach the
    // caller as a start-up error that shows the traceback, not as a server that never answers.
    let config = SandboxConfig {
        host_uid_base: 1_300_000_700,
        preload: Some("def broken(:\n    pass\n".into()),
        ..SandboxConfig::default()
    };
    let error = match Pool::new(common::sandbox_with(config), Some(1)) {
        Ok(pool) => pool.run(&python("print(1)")).map(|_| ()).unwrap_err(),
        Err(error) => error,
    }
    .to_string();
    assert!(error.contains("SyntaxError"), "{error}");
    assert!(error.contains("sandbox_preload.py"), "{error}");
    assert!(error.contains("compiling the server or the preload failed"), "{error}");
}

#[test]
fn every_job_starts_with_an_empty_main_module_and_its_own_argv() {
    // The server makes the candidates' `__main__` and `sys.argv` once; each job must still find them as
    // `python3 main.py` would, whatever the jobs before it left there.
    let config = SandboxConfig {
        host_uid_base: 1_300_000_600,
        ..SandboxConfig::default()
    };
    let pool = Pool::new(common::sandbox_with(config), Some(1)).unwrap();
    let job = python(
        "import sys\nprint(sorted(k for k in globals() if not k.startswith('__')), sys.argv)\n\
         left_behind = 1\nsys.argv.append('more')\nsys.modules['__main__'].extra = 2\n",
    );
    for _ in 0..3 {
        let outcome = pool.run(&job).unwrap();
        assert_eq!(outcome.status, Status::Passed, "{}", outcome.stderr_text());
        assert_eq!(outcome.stdout_text(), "['sys'] ['main.py']\n");
    }
}

/// CPUs the job's process may run on, as the job itself sees them.
fn job_cpus(pool: &Pool, lane: usize) -> String {
    let outcome = pool
        .run_on_lane(lane, &python("import os\nprint(sorted(os.sched_getaffinity(0)))"))
        .unwrap();
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
    outcome.stdout_text().trim().to_owned()
}

#[test]
fn lanes_pin_jobs_to_one_cpu_only_when_every_cpu_has_a_worker() {
    let cpus: Vec<usize> = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
        .map(|set| {
            (0..nix::sched::CpuSet::count())
                .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
                .collect()
        })
        .unwrap();
    let all = format!("{cpus:?}");
    let config = |host_uid_base, pin_workers| SandboxConfig {
        host_uid_base,
        pin_workers,
        ..SandboxConfig::default()
    };

    let full = Pool::new(common::sandbox_with(config(1_300_000_300, true)), Some(cpus.len())).unwrap();
    for lane in 0..cpus.len() {
        if cpus.len() > 1 {
            assert_eq!(full.lane_cpu(lane), Some(cpus[lane]));
            assert_eq!(job_cpus(&full, lane), format!("[{}]", cpus[lane]), "lane {lane}");
        } else {
            // One CPU: nothing to spread, nothing pinned.
            assert_eq!(full.lane_cpu(lane), None);
            assert_eq!(job_cpus(&full, lane), all);
        }
    }
    drop(full);

    let unpinned = Pool::new(common::sandbox_with(config(1_300_000_400, false)), Some(cpus.len())).unwrap();
    assert_eq!(unpinned.lane_cpu(0), None);
    assert_eq!(job_cpus(&unpinned, 0), all);
    drop(unpinned);

    // A pool smaller than the machine is left to the scheduler (pinned, it would crowd onto the first CPUs).
    if cpus.len() > 1 {
        let small = Pool::new(common::sandbox_with(config(1_300_000_500, true)), Some(cpus.len() - 1)).unwrap();
        assert_eq!(small.lane_cpu(0), None);
        assert_eq!(job_cpus(&small, 0), all);
    }
}
