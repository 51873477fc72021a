//! LaTeX environments (`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]`, ` [..] `, bare `\\frac{a}{b}`) and the
//! LaTeX candidates of each priority.

use super::{Candidate, ExtractConfig, Payload, final_answer_is_ends, find_ci, prev_byte, skip_ws};
use crate::budget::{Budget, Over};

#[derive(Debug, Clone, Copy)]
pub(super) struct Env {
    start: usize,
    end: usize,
    content: (usize, usize),
    percent: bool,
}

/// Remembers the last search for a closing delimiter: a later search that starts inside the
/// already-scanned range has the same answer, so scanning stays linear (e.g. 10k `$$`).
#[derive(Default, Clone, Copy)]
pub(super) struct Memo {
    from: usize,
    stop: usize,
    found: Option<usize>,
    valid: bool,
}

pub(super) fn find_from(t: &[u8], from: usize, pat: &[u8], stop_at_newline: bool, memo: &mut Memo) -> Option<usize> {
    if memo.valid && from >= memo.from && from <= memo.stop {
        return memo.found;
    }
    let mut i = from;
    let mut found = None;
    while i + pat.len() <= t.len() {
        if stop_at_newline && t[i] == b'\n' {
            break;
        }
        if &t[i..i + pat.len()] == pat && prev_byte(t, i) != Some(b'\\') {
            found = Some(i);
            break;
        }
        i += 1;
    }
    *memo = Memo {
        from,
        stop: i,
        found,
        valid: true,
    };
    found
}

pub(super) fn percent_after(text: &str, mut i: usize) -> (usize, bool) {
    let t = text.as_bytes();
    while i < t.len() && t[i].is_ascii_whitespace() {
        i += 1;
    }
    let rest = &text[i..];
    for p in [
        "\\%",
        "%",
        "percentage",
        "Percentage",
        "percent",
        "Percent",
        "pct",
        "Pct",
    ] {
        if rest.starts_with(p) {
            return (i + p.len(), true);
        }
    }
    (i, false)
}

pub(super) fn simple_number_len(t: &[u8], i: usize) -> usize {
    let mut k = i;
    if k < t.len() && t[k] == b'-' {
        k += 1;
    }
    let d0 = k;
    while k < t.len() && t[k].is_ascii_digit() {
        k += 1;
    }
    if k == d0 {
        return 0;
    }
    if k + 1 < t.len() && (t[k] == b'.' || t[k] == b',') && t[k + 1].is_ascii_digit() {
        k += 1;
        while k < t.len() && t[k].is_ascii_digit() {
            k += 1;
        }
    }
    k - i
}

/// One environment starting exactly at `i`, if any.
pub(super) fn env_at(text: &str, i: usize, memos: &mut [Memo; 3]) -> Option<Env> {
    let t = text.as_bytes();
    let escaped = prev_byte(t, i) == Some(b'\\');
    let rest = &t[i..];
    let mut found: Option<(usize, usize, usize)> = None;
    if !escaped
        && rest.starts_with(b"$$")
        && let Some(close) = find_from(t, i + 3, b"$$", false, &mut memos[0])
    {
        found = Some((i + 2, close, close + 2));
    }
    if found.is_none()
        && !escaped
        && rest.starts_with(b"\\[")
        && let Some(close) = find_from(t, i + 3, b"\\]", false, &mut memos[1])
    {
        found = Some((i + 2, close, close + 2));
    }
    if found.is_none() && !escaped && rest.starts_with(b"$") && !prev_byte(t, i).is_some_and(|b| b.is_ascii_digit()) {
        let mut k = i + 1;
        while k < t.len() {
            match t[k] {
                b'\n' => break,
                b'\\' if t.get(k + 1) == Some(&b'$') => k += 2,
                b'$' if k > i + 1 => {
                    found = Some((i + 1, k, k + 1));
                    break;
                }
                b'$' => break,
                _ => k += 1,
            }
        }
    }
    if found.is_none()
        && !escaped
        && rest.starts_with(b"\\(")
        && let Some(close) = find_from(t, i + 3, b"\\)", true, &mut memos[2])
    {
        found = Some((i + 2, close, close + 2));
    }
    if found.is_none() && rest.starts_with(b"[") && prev_byte(t, i).is_some_and(|b| b.is_ascii_whitespace()) {
        let mut k = i + 1;
        while k < t.len() && !matches!(t[k], b'\n' | b'[' | b']') {
            k += 1;
        }
        if k > i + 1 && k < t.len() && t[k] == b']' && t.get(k + 1).is_some_and(|b| b.is_ascii_whitespace()) {
            found = Some((i + 1, k, k + 1));
        }
    }
    if found.is_none() {
        let mut k = i;
        if t.get(k) == Some(&b'-') {
            k += 1;
        }
        if t[k..].starts_with(b"\\frac{") {
            let a = k + 6;
            let la = simple_number_len(t, a);
            if la > 0 && t.get(a + la) == Some(&b'}') && t.get(a + la + 1) == Some(&b'{') {
                let b = a + la + 2;
                let lb = simple_number_len(t, b);
                if lb > 0 && t.get(b + lb) == Some(&b'}') {
                    found = Some((i, b + lb + 1, b + lb + 1));
                }
            }
        }
    }
    let (cs, ce, end) = found?;
    let (end, percent) = percent_after(text, end);
    Some(Env {
        start: i,
        end,
        content: (cs, ce),
        percent,
    })
}

pub(super) fn find_envs(text: &str, budget: &mut Budget) -> Result<Vec<Env>, Over> {
    let t = text.as_bytes();
    let mut out = Vec::new();
    let mut memos = [Memo::default(); 3];
    let mut i = 0;
    while i < t.len() {
        budget.tick()?;
        if matches!(t[i], b'$' | b'\\' | b'[' | b'-')
            && let Some(env) = env_at(text, i, &mut memos)
        {
            i = env.end.max(i + 1);
            out.push(env);
            continue;
        }
        i += 1;
    }
    Ok(out)
}

pub(super) fn joined(between: &str) -> bool {
    matches!(between.trim(), "," | "and" | ",and" | "or" | ",or")
}

/// The group starting at environment `k`.
pub(super) fn group_from(text: &str, envs: &[Env], k: usize) -> Option<Vec<Env>> {
    let mut g = vec![*envs.get(k)?];
    while g.len() < 6 && k + g.len() < envs.len() {
        let prev = g[g.len() - 1];
        let next = envs[k + g.len()];
        if next.start >= prev.end && joined(&text[prev.end..next.start]) {
            g.push(next);
        } else {
            break;
        }
    }
    Some(g)
}

/// Groups of up to six environments joined by `,`/`and`/`or`, non-overlapping left to right.
pub(super) fn env_groups(text: &str, envs: &[Env], from: usize) -> Vec<Vec<Env>> {
    let mut groups = Vec::new();
    let mut k = from;
    while let Some(g) = group_from(text, envs, k) {
        k += g.len();
        groups.push(g);
    }
    groups
}

pub(super) fn latex_candidate(text: &str, group: &[Env], priority: i32, start: usize) -> Candidate {
    let parts = group
        .iter()
        .map(|e| (text[e.content.0..e.content.1].to_string(), e.percent))
        .collect();
    let end = group.last().map(|e| e.end).unwrap_or(start);
    Candidate {
        priority,
        start,
        end,
        payload: Payload::Latex {
            parts,
            boxed_last: false,
        },
    }
}

/// LaTeX candidates; `unanchored` selects the priority-300 groups instead of the anchored ones.
pub(super) fn latex_candidates(
    text: &str,
    envs: &[Env],
    cfg: &ExtractConfig,
    unanchored: bool,
    out: &mut Vec<Candidate>,
) -> Result<(), Over> {
    if unanchored {
        for g in env_groups(text, envs, 0) {
            out.push(latex_candidate(text, &g, 300, g[0].start));
        }
        return Ok(());
    }
    let t = text.as_bytes();
    let group_at = |pos: usize| -> Option<Vec<Env>> {
        let k = envs.binary_search_by_key(&pos, |e| e.start).ok()?;
        group_from(text, envs, k)
    };
    // Priority 0: "final answer is X. I hope".
    for a in find_ci(text, "final answer is") {
        let mut p = a + "final answer is".len();
        if t.get(p) == Some(&b':') {
            p += 1;
        }
        let p = skip_ws(t, p);
        if let Some(g) = group_at(p) {
            let mut e = g.last().map(|x| x.end).unwrap_or(p);
            if t.get(e) == Some(&b'.') {
                e += 1;
            }
            if t.get(e).is_some_and(|b| b.is_ascii_whitespace()) {
                e += 1;
            }
            if text[e..].starts_with("I hope") {
                out.push(latex_candidate(text, &g, 0, a));
            }
        }
    }
    // Priority 50: "final answer ... is X".
    for (a, e) in final_answer_is_ends(text) {
        if let Some(g) = group_at(skip_ws(t, e)) {
            out.push(latex_candidate(text, &g, 50, a));
        }
    }
    // Priorities 100/200: "answer:" / "answer" then the first environment within 50 chars.
    for a in find_ci(text, "answer") {
        let after = a + "answer".len();
        let colon = t.get(after) == Some(&b':');
        let from = if colon { after + 1 } else { after };
        let k = envs.partition_point(|e| e.start < from);
        if let Some(env) = envs.get(k).filter(|e| e.start <= from + 50)
            && let Some(g) = group_at(env.start)
        {
            if colon {
                out.push(latex_candidate(text, &g, 100, a));
            }
            out.push(latex_candidate(text, &g, 200, a));
        }
    }
    if cfg.boxed_priority >= 0 {
        let boxed_envs: Vec<Env> = envs
            .iter()
            .copied()
            .filter(|e| text[e.content.0..e.content.1].contains("\\boxed{"))
            .collect();
        for g in env_groups(text, &boxed_envs, 0) {
            out.push(latex_candidate(text, &g, cfg.boxed_priority, g[0].start));
        }
        if let (Some(s), Some(e)) = (text.find("\\boxed{"), text.rfind('}'))
            && e > s + 7
        {
            out.push(Candidate {
                priority: cfg.boxed_priority,
                start: s,
                end: e + 1,
                payload: Payload::Latex {
                    parts: vec![(text[s..=e].to_string(), false)],
                    boxed_last: true,
                },
            });
        }
    }
    Ok(())
}
