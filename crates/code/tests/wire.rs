//! The checker↔driver wire format (`src/python/wire.py`) on its own: what round-trips, and which forged
//! messages the trusted side refuses. Runs trusted test code in a plain interpreter (no candidate code).

use std::io::Write;
use std::process::{Command, Stdio};

const WIRE: &str = include_str!("../src/python/wire.py");

const CHECKS: &str = r#"
import math

def round_trip(value):
    message = load(dump(["return", value])[4:])
    assert message[0] == "return" and len(message) == 2, message
    return message[1]

def same(a, b):
    """Equal with the same exact types all the way down (== alone equates 1, 1.0 and True)."""
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    if type(a) is float:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b

values = [
    None, True, False, 0, -7, 10**300, 1.5, -0.0, float("inf"), float("nan"), "", "héllo \ud800 \n\"",
    b"\x00\xff", [], [1, "a", None, True, 2.5], (), (1,), (1, (2, [3])), {1, 2}, set(), frozenset({"x"}),
    {}, {"k": [1]}, {(1, 2): {3: frozenset({4})}}, {True: 1, 1.5: "f", None: b""}, [[[]]], [(1,), {2}],
]
for value in values:
    got = round_trip(value)
    assert same(got, value), (value, got)

class Int(int):
    pass

class Eq:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

for bad in (Int(1), [Int(1)], (1, [Eq()]), {"k": Eq()}, {Eq()}, print, 10**5000, eval("[" * 200 + "]" * 200)):
    try:
        dump(["return", bad])
    except PlainDataError:
        continue
    raise AssertionError("accepted %r" % (bad,))

forged = [
    b'{"return": 1}', b'[]', b'[1]', b'["return", {"t": [1], "e": [2]}]', b'["return", {"pickle": "x"}]',
    b'["return", {"e": [[1]]}]', b'["return", {"d": [[[1], 2]]}]', b'["return", {"d": [[1]]}]',
    b'["return", {"y": "zz"}]', b'["return", {"t": 5}]', b'["return", 1' , b'["return", "\xff"]',
    b'["return", ' + b"9" * 5000 + b"]", b'["return", ' + b"[" * 5000 + b"]" * 5000 + b"]",
]
for raw in forged:
    try:
        load(raw)
    except PlainDataError:
        continue
    raise AssertionError("accepted forged %r" % (raw[:60],))
print("ok")
"#;

#[test]
fn plain_data_round_trips_with_exact_types_and_forgeries_are_refused() {
    let mut child = Command::new("python3")
        .args(["-I", "-S", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let script = format!("{WIRE}\n{CHECKS}");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(script.as_bytes())
        .expect("the script is written");
    let output = child.wait_with_output().expect("python3 finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok", "{stderr}");
}
