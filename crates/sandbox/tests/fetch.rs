//! Files read back from the working directory after a run: only regular files inside it, within the budget.

mod common;

use assay_sandbox::{FetchFiles, SandboxError, Status};
use common::{assert_pool_healthy, pool, python};

#[test]
fn a_file_the_program_writes_comes_back() {
    let pool = pool();
    let job = python(
        "import os\nos.makedirs('sub')\nopen('out.txt', 'w').write('6*7=42')\nopen('sub/b.bin', 'wb').write(bytes(range(256)))",
    );
    let fetch = FetchFiles::new(["out.txt", "sub/b.bin", "missing.txt"], 1 << 20);
    let (outcome, files) = pool.run_fetching(&job, &fetch).expect("runs");
    assert_eq!(outcome.status, Status::Passed, "{}", outcome.stderr_text());
    let expected_binary: Vec<u8> = (0..=255).collect();
    assert_eq!(
        files,
        vec![
            ("out.txt".to_owned(), b"6*7=42".to_vec()),
            ("sub/b.bin".to_owned(), expected_binary)
        ]
    );
    // The next job starts in a fresh working directory: nothing to fetch.
    let (_, files) = pool.run_fetching(&python("pass"), &fetch).expect("runs");
    assert!(files.is_empty(), "{files:?}");
    assert_pool_healthy(&pool);
}

#[test]
fn symlinks_special_files_and_escapes_return_nothing() {
    let pool = pool();
    let job = python(
        "import os\nopen('real.txt', 'w').write('inside')\nos.symlink('/etc/passwd', 'passwd')\n\
         os.symlink('real.txt', 'alias.txt')\nos.symlink('/etc', 'etc')\nos.mkfifo('pipe')\nos.mkdir('dir')",
    );
    let fetch = FetchFiles::new(
        ["passwd", "alias.txt", "etc/passwd", "pipe", "dir", "real.txt"],
        1 << 20,
    );
    let (outcome, files) = pool.run_fetching(&job, &fetch).expect("runs");
    assert_eq!(outcome.status, Status::Passed, "{}", outcome.stderr_text());
    assert_eq!(files, vec![("real.txt".to_owned(), b"inside".to_vec())]);
    for escape in ["../x", "/etc/passwd", "a/../../etc/passwd"] {
        let refused = pool.run_fetching(&python("pass"), &FetchFiles::new([escape], 1024));
        assert!(
            matches!(refused, Err(SandboxError::InvalidFile { .. })),
            "{escape}: {refused:?}"
        );
    }
    assert_pool_healthy(&pool);
}

#[test]
fn files_beyond_the_byte_budget_are_left_out_whole() {
    let pool = pool();
    let job =
        python("open('a', 'w').write('x' * 600)\nopen('b', 'w').write('y' * 600)\nopen('c', 'w').write('z' * 300)");
    let (_, files) = pool
        .run_fetching(&job, &FetchFiles::new(["a", "b", "c"], 1000))
        .expect("runs");
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(files[0].1.len(), 600);
    assert_pool_healthy(&pool);
}
