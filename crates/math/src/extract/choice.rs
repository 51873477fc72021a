//! Multiple-choice letters (Math-Verify's `StringExtractionConfig`), plus the forms it misses:
//! a parenthesized letter (`I pick (B).`, `the answer is (C)`, `option B)`) and a boxed letter
//! (`\boxed{D}`, `\boxed{\text{(B)}}`).

use super::{Candidate, Payload, find_ci};

pub(super) fn letter_candidates(text: &str, letters: &[String], boxed_priority: i32, out: &mut Vec<Candidate>) {
    let t = text.as_bytes();
    let suffix_ok = |e: usize| {
        let e = if text[e..].starts_with("**") { e + 2 } else { e };
        e >= t.len() || matches!(t[e], b'.' | b',' | b':' | b')') || t[e].is_ascii_whitespace()
    };
    let letter_at = |i: usize| letters.iter().find(|l| text[i..].starts_with(l.as_str())).cloned();
    // Unanchored `(^|\s)(\*\*)?X suffix`.
    for i in 0..t.len() {
        if !text.is_char_boundary(i) {
            continue;
        }
        let prefix_ok =
            i == 0 || t[i - 1].is_ascii_whitespace() || t[i - 1] == b'(' || (i >= 2 && &t[i - 2..i] == b"**");
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
    if boxed_priority >= 0 {
        boxed_letter_candidates(text, letters, boxed_priority, out);
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
            let opens = t[i - 1].is_ascii_whitespace() || t[i - 1] == b'(' || i == from && t[i - 1] == b':';
            if !text.is_char_boundary(i) || !opens {
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

/// `\boxed{X}` whose content, stripped of `\text{}`/`\textbf{}`/`\mathrm{}`, parentheses, `**`
/// and spaces, is exactly one of the letters.
fn boxed_letter_candidates(text: &str, letters: &[String], priority: i32, out: &mut Vec<Candidate>) {
    for start in find_ci(text, "\\boxed{") {
        let open = start + "\\boxed{".len();
        let Some(close) = matching_brace(text, open) else {
            continue;
        };
        let mut inner = text[open..close].trim();
        for wrapper in ["\\text{", "\\textbf{", "\\mathrm{", "\\mathbf{"] {
            if let Some(rest) = inner.strip_prefix(wrapper).and_then(|r| r.strip_suffix('}')) {
                inner = rest.trim();
            }
        }
        let inner = inner.trim_matches(|c: char| c == '*' || c == '(' || c == ')' || c.is_whitespace());
        if let Some(l) = letters.iter().find(|l| l.as_str() == inner) {
            out.push(Candidate {
                priority,
                start,
                end: close + 1,
                payload: Payload::Letter(l.clone()),
            });
        }
    }
}

/// Index of the `}` closing the brace opened just before `open`.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 1usize;
    for (k, b) in text.as_bytes()[open..].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}
