//! Compiles the fork server's native parts (`src/forkloop.c`, the per-job loop, and `src/childsetup.c`, a
//! child's setup) into one shared object that `worker.rs` embeds and hands to each server, which loads it
//! inside the sandbox. Built with the system C compiler (`$CC`, else
//! `cc`), which Rust already needs on Linux as its linker; a failure stops the build with the compiler's
//! message.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    const SOURCES: [&str; 2] = ["src/forkloop.c", "src/childsetup.c"];
    for path in SOURCES.iter().chain(&["src/forkloop.h"]) {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-env-changed=CC");
    let output = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("forkloop.so");
    let compiler = env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&compiler)
        .args([
            "-std=c11",
            "-O2",
            "-fPIC",
            "-shared",
            "-fvisibility=hidden",
            "-Wall",
            "-Wextra",
            "-s",
            "-o",
        ])
        .arg(&output)
        .args(SOURCES)
        .status()
        .unwrap_or_else(|error| panic!("cannot run the C compiler `{compiler}` for {SOURCES:?}: {error}"));
    assert!(
        status.success(),
        "`{compiler}` failed to compile {SOURCES:?} ({status})"
    );
}
