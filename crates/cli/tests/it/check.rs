//! `assay check`: every configuration mistake names the file, the table and the key.

use crate::util::{Workspace, stderr, stdout};

fn check(pipeline: &str) -> (bool, String) {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", pipeline);
    let output = ws.run(&["check", "--config", config.to_str().unwrap()]);
    (
        output.status.success(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

#[test]
fn valid_pipeline_passes() {
    let (ok, text) = check(crate::util::FORMAT_AND_MATCH);
    assert!(ok, "{text}");
    assert!(text.contains("format, correct"), "{text}");
}

#[test]
fn unknown_kind_names_file_table_and_key() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tagz\"\n");
    assert!(!ok);
    assert!(text.contains("pipe.toml"), "{text}");
    assert!(text.contains("[[reward]] #1 (name = \"a\")"), "{text}");
    assert!(text.contains("key `kind`: unknown reward kind `tagz`"), "{text}");
}

#[test]
fn misspelt_key_is_named() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\nrequir = [\"think\"]\n");
    assert!(!ok);
    assert!(text.contains("key `requir`"), "{text}");
}

#[test]
fn wrong_type_is_named() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\nweight = \"heavy\"\n");
    assert!(!ok);
    assert!(text.contains("key `weight`: expected a number, found string"), "{text}");
}

#[test]
fn duplicate_name_is_an_error() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\n[[reward]]\nname = \"a\"\nkind = \"tags\"\n");
    assert!(!ok);
    assert!(
        text.contains("[[reward]] #2 (name = \"a\"): key `name`: duplicate reward name `a`"),
        "{text}"
    );
}

#[test]
fn non_finite_weight_is_an_error() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\nweight = inf\n");
    assert!(!ok);
    assert!(text.contains("key `weight`: must be a finite number"), "{text}");
}

#[test]
fn gate_must_name_a_reward() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\n[combine]\ngate = [\"b\"]\n");
    assert!(!ok);
    assert!(text.contains("[combine]: key `gate`: no reward is named `b`"), "{text}");
}

#[test]
fn unknown_combine_mode_and_top_level_key() {
    let (ok, text) = check("[[reward]]\nname = \"a\"\nkind = \"tags\"\n[combine]\nmode = \"avg\"\n");
    assert!(!ok);
    assert!(text.contains("[combine]: key `mode`"), "{text}");
    let (ok, text) = check("nmae = \"x\"\n[[reward]]\nname = \"a\"\nkind = \"tags\"\n");
    assert!(!ok);
    assert!(text.contains("top level: key `nmae`"), "{text}");
}

#[test]
fn toml_syntax_error_names_the_file() {
    let (ok, text) = check("[[reward]\nname = 1");
    assert!(!ok);
    assert!(text.contains("pipe.toml: not valid TOML"), "{text}");
}
