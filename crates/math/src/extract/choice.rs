//! Multiple-choice letters (Math-Verify's `StringExtractionConfig`).

use super::{Candidate, Payload, find_ci};

pub(super) fn letter_candidates(text: &str, letters: &[String], out: &mut Vec<Candidate>) {
    let t = text.as_bytes();
    let suffix_ok = |e: usize| {
        let e = if text[e..].starts_with("**") { e + 2 } else { e };
        e >= t.len() || matches!(t[e], b'.' | b',' | b':') || t[e].is_ascii_whitespace()
    };
    let letter_at = |i: usize| letters.iter().find(|l| text[i..].starts_with(l.as_str())).cloned();
    // Unanchored `(^|\s)(\*\*)?X suffix`.
    for i in 0..t.len() {
        if !text.is_char_boundary(i) {
            continue;
        }
        let prefix_ok = i == 0 || t[i - 1].is_ascii_whitespace() || (i >= 2 && &t[i - 2..i] == b"**");
        if !prefix_ok {
            continue;
        }
        if let Some(l) = letter_at(i)
            && suffix_ok(i + l.len())
        {
            let pr = if i == 0 { 250 } else { 300 };
            out.push(Candidate {
                priority: pr,
                start: i,
                end: i + l.len(),
                payload: Payload::Letter(l),
            });
        }
    }
    let anchored: Vec<(usize, usize, i32)> = find_ci(text, "answer")
        .into_iter()
        .flat_map(|a| {
            let after = a + 6;
            let colon = t.get(after) == Some(&b':');
            let from = if colon { after + 1 } else { after };
            let v = vec![(a, from, 200)];
            if colon { [v, vec![(a, from, 100)]].concat() } else { v }
        })
        .collect();
    for (a, from, pr) in anchored {
        let limit = (from + 52).min(t.len());
        for i in from..limit {
            if !text.is_char_boundary(i) || !(t[i - 1].is_ascii_whitespace() || i == from && t[i - 1] == b':') {
                continue;
            }
            if let Some(l) = letter_at(i).filter(|l| suffix_ok(i + l.len())) {
                out.push(Candidate {
                    priority: pr,
                    start: a,
                    end: i + l.len(),
                    payload: Payload::Letter(l),
                });
                break;
            }
        }
    }
}
