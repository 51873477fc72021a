//! JSON Lines: one object per line; blank lines are not records.

use std::io::{BufRead, Write};

use assay_core::{Score, json_type_name};
use serde_json::Value;

use super::Record;

pub(super) fn read(mut reader: impl BufRead) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut line = Vec::new();
    let mut line_number = 0usize;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        records.push(parse_line(text, line_number));
    }
    Ok(records)
}

fn parse_line(text: &[u8], line_number: usize) -> Record {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!(
            "line {line_number}: expected a JSON object, found {}",
            json_type_name(&other)
        )),
        Err(err) => Err(format!("line {line_number}: not valid JSON: {err}")),
    }
}

pub(super) fn write(mut writer: impl Write, scores: &[Score]) -> anyhow::Result<()> {
    for score in scores {
        serde_json::to_writer(&mut writer, score)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_skipped_and_bad_lines_named() {
        let input = b"{\"a\":1}\n\n  \n[1]\n{bad\r\n{\"b\":2}";
        let records = read(&input[..]).unwrap();
        assert_eq!(records.len(), 4);
        assert!(records[0].is_ok());
        assert_eq!(
            records[1].as_ref().unwrap_err(),
            "line 4: expected a JSON object, found a list"
        );
        assert!(records[2].as_ref().unwrap_err().starts_with("line 5: not valid JSON"));
        assert_eq!(records[3].as_ref().unwrap()["b"], 2);
    }

    #[test]
    fn invalid_utf8_is_an_error_record_not_a_crash() {
        let records = read(&b"{\"a\":\"\xff\"}\n"[..]).unwrap();
        assert!(records[0].as_ref().unwrap_err().contains("not valid JSON"));
    }
}
