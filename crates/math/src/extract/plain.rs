//! Plain-text expressions and numbers (Math-Verify's `ExprExtractionConfig`).

use super::{Candidate, Payload, char_boundary_floor, final_answer_is_ends, find_ci, prev_byte, skip_ws};
use crate::budget::{Budget, Over};
use num_bigint::BigInt;
use num_rational::BigRational;

pub(super) const MAX_EXPR_CHARS: usize = 512;

pub(super) const OPS: &[char] = &['+', '-', '*', '×', '/', '^', '(', ')', '÷'];

pub(super) fn is_expr_char(c: char) -> bool {
    c.is_ascii_digit() || c == '.' || c.is_whitespace() || OPS.contains(&c)
}

pub(super) fn suffix_ok(text: &str, i: usize) -> bool {
    let rest = text[i..].strip_prefix("**").unwrap_or(&text[i..]);
    match rest.chars().next() {
        None => true,
        Some(c) => matches!(c, '.' | ',' | ':' | ')' | '$') || c.is_whitespace(),
    }
}

/// Plain expression (`-?\(?-?\d[chars]*[op][chars]+\)?` + suffix) starting at byte `i`.
pub(super) fn expr_match(text: &str, i: usize) -> Option<(usize, String)> {
    let rest = &text[i..];
    let mut it = rest.char_indices().peekable();
    for want in ['-', '(', '-'] {
        if it.peek().map(|x| x.1) == Some(want) {
            it.next();
        }
    }
    let (_, d) = it.next()?;
    if !d.is_ascii_digit() {
        return None;
    }
    // Byte offsets (relative to `i`) just after each character of the run.
    let mut ends: Vec<(usize, bool)> = Vec::new();
    for (k, c) in it {
        // Longer runs are not answers; the cap keeps scanning linear on adversarial input.
        if !is_expr_char(c) || ends.len() >= MAX_EXPR_CHARS {
            break;
        }
        ends.push((k + c.len_utf8(), OPS.contains(&c)));
    }
    // Largest end with an operator strictly before the last character and a valid suffix.
    let mut first_op: Option<usize> = None;
    for (idx, (_, is_op)) in ends.iter().enumerate() {
        if *is_op {
            first_op = Some(idx);
            break;
        }
    }
    let first_op = first_op?;
    for idx in (first_op + 1..ends.len()).rev() {
        let end = i + ends[idx].0;
        if suffix_ok(text, end) {
            return Some((end, text[i..end].to_string()));
        }
    }
    None
}

/// Number (with thousands separators, decimal comma, percent) starting at byte `i`.
pub(super) fn number_match(text: &str, i: usize) -> Option<(usize, Payload)> {
    let t = text.as_bytes();
    if prev_byte(t, i).is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = |mut k: usize| {
        let s = k;
        while k < t.len() && t[k].is_ascii_digit() {
            k += 1;
        }
        (s, k)
    };
    let mut k = i;
    let neg = t.get(k) == Some(&b'-');
    if neg {
        k += 1;
    }
    let (integer, decimal, end): (String, String, usize);
    let (ds, de) = digits(k);
    // Alternative 1: 1,234,567(.89) or 1 234 567.
    let mut alt1: Option<(String, usize)> = None;
    if de > ds && de - ds <= 3 && t[ds] != b'0' {
        let mut g = de;
        let mut s = text[ds..de].to_string();
        while g + 3 < t.len()
            && matches!(t[g], b',' | b' ')
            && t[g + 1..].len() >= 3
            && t[g + 1..g + 4].iter().all(u8::is_ascii_digit)
        {
            s.push_str(&text[g + 1..g + 4]);
            g += 4;
        }
        if g > de {
            alt1 = Some((s, g));
        }
    }
    if let Some((s, g)) = alt1 {
        let (dec, e) = if t.get(g) == Some(&b'.') && t.get(g + 1).is_some_and(u8::is_ascii_digit) {
            let (a, b) = digits(g + 1);
            (text[a..b].to_string(), b)
        } else {
            (String::new(), g)
        };
        integer = s;
        decimal = dec;
        end = e;
    } else if de > ds && de + 1 < t.len() && matches!(t[de], b'.' | b',') && t[de + 1].is_ascii_digit() {
        let (a, b) = digits(de + 1);
        integer = text[ds..de].to_string();
        decimal = text[a..b].to_string();
        end = b;
    } else if de == ds && !neg && t.get(ds) == Some(&b'.') && t.get(ds + 1).is_some_and(u8::is_ascii_digit) {
        let (a, b) = digits(ds + 1);
        integer = String::new();
        decimal = text[a..b].to_string();
        end = b;
    } else if de > ds {
        integer = text[ds..de].to_string();
        decimal = String::new();
        end = de;
    } else {
        return None;
    }
    if integer.len() + decimal.len() > 20_000 {
        return None;
    }
    let int: BigInt = if integer.is_empty() {
        BigInt::from(0)
    } else {
        integer.parse().ok()?
    };
    let mut value = BigRational::from_integer(int);
    if !decimal.is_empty() {
        let d: BigInt = decimal.parse().ok()?;
        value += BigRational::new(d, num_traits::pow(BigInt::from(10), decimal.len()));
    }
    if neg {
        value = -value;
    }
    // Percent suffix: \s*(%|percent|\s*percentage|\s*pct).
    let mut p = end;
    while p < t.len() && t[p].is_ascii_whitespace() {
        p += 1;
    }
    let rest = &text[p..];
    let mut percent = false;
    let mut final_end = end;
    for w in ["%", "Percentage", "percentage", "Percent", "percent", "Pct", "pct"] {
        if rest.starts_with(w) {
            percent = true;
            final_end = p + w.len();
            break;
        }
    }
    let trimmed = integer.trim_start_matches('0');
    let text_form = format!(
        "{}{}{}{}",
        if neg { "-" } else { "" },
        if trimmed.is_empty() { "0" } else { trimmed },
        if decimal.is_empty() { "" } else { "." },
        decimal
    );
    Some((
        final_end,
        Payload::Number {
            value,
            float: !decimal.is_empty(),
            percent,
            text: text_form,
        },
    ))
}

pub(super) const CURRENCY: &str = "$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₭₮₯₰₱₲₳₴₵₶₷₸₺₻₼₾₿";

/// `(^|\s|=)(\*\*)?` then an expression or a (currency-prefixed) number, at prefix byte `i`.
pub(super) fn expr_or_number_at(text: &str, i: usize, at_start: bool) -> Option<(usize, Payload)> {
    let mut k = i;
    if !at_start {
        let c = text[i..].chars().next()?;
        if !(c.is_whitespace() || c == '=') {
            return None;
        }
        k += c.len_utf8();
    }
    if text[k..].starts_with("**") {
        k += 2;
    }
    if let Some((end, s)) = expr_match(text, k) {
        return Some((end, Payload::Expr(s)));
    }
    if let Some(c) = text[k..].chars().next().filter(|c| CURRENCY.contains(*c))
        && let Some(m) = number_match(text, k + c.len_utf8())
    {
        return Some(m);
    }
    number_match(text, k)
}

pub(super) fn not_followed_by_eq(text: &str, end: usize) -> bool {
    !text[end..].trim_start().starts_with('=')
}

/// Unanchored expressions and numbers (priority 300): every prefix position, non-overlapping.
pub(super) fn unanchored_expr_candidates(
    text: &str,
    out: &mut Vec<Candidate>,
    budget: &mut Budget,
) -> Result<(), Over> {
    let mut all: Vec<(usize, usize, Payload)> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        budget.tick()?;
        if let Some((end, p)) = expr_or_number_at(text, i, i == 0).filter(|_| text.is_char_boundary(i)) {
            all.push((i, end, p));
            i = end.max(i + 1);
            continue;
        }
        i += 1;
        while i < text.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    for (s, e, p) in all {
        out.push(Candidate {
            priority: 300,
            start: s,
            end: e,
            payload: p,
        });
    }
    Ok(())
}

/// Anchored expressions and numbers ("final answer is", "answer:", "answer").
pub(super) fn expr_candidates(text: &str, out: &mut Vec<Candidate>, budget: &mut Budget) -> Result<(), Over> {
    let t = text.as_bytes();
    for a in find_ci(text, "final answer is") {
        let mut p = a + "final answer is".len();
        if t.get(p) == Some(&b':') {
            p += 1;
        }
        // `\s*` then the prefix group: try each whitespace position.
        let mut q = p;
        loop {
            if let Some((end, pay)) = expr_or_number_at(text, q, false) {
                let mut e = end;
                if t.get(e) == Some(&b'.') {
                    e += 1;
                }
                if t.get(e).is_some_and(|b| b.is_ascii_whitespace()) {
                    e += 1;
                }
                if text[e..].starts_with("I hope") {
                    out.push(Candidate {
                        priority: 0,
                        start: a,
                        end,
                        payload: pay,
                    });
                    break;
                }
            }
            if q < t.len() && t[q].is_ascii_whitespace() {
                q += 1;
            } else {
                break;
            }
        }
    }
    for (a, e) in final_answer_is_ends(text) {
        if let Some((end, pay)) = expr_or_number_at(text, e, false) {
            out.push(Candidate {
                priority: 50,
                start: a,
                end,
                payload: pay,
            });
        }
    }
    for a in find_ci(text, "answer") {
        budget.check_now()?;
        let after = a + "answer".len();
        let colon = t.get(after) == Some(&b':');
        let from = if colon { after + 1 } else { after };
        let line_end = text[from..].find('\n').map(|x| from + x).unwrap_or(text.len());
        let mut found: Option<(usize, Payload)> = None;
        // `.{0,100}=\s*` (greedy: the last `=` within 100 chars that is followed by a match).
        let eq_limit = char_boundary_floor(text, (from + 101).min(line_end));
        for (off, _) in text[from..eq_limit]
            .match_indices('=')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let q = from + off;
            if let Some((end, pay)) =
                expr_or_number_at(text, q, false).filter(|(end, _)| not_followed_by_eq(text, *end))
            {
                found = Some((end, pay));
                break;
            }
            let s = skip_ws(t, q + 1);
            if s > q + 1
                && let Some((end, pay)) =
                    expr_or_number_at(text, s - 1, false).filter(|(end, _)| not_followed_by_eq(text, *end))
            {
                found = Some((end, pay));
                break;
            }
        }
        if found.is_none() {
            let lazy_limit = (from + 51).min(line_end);
            let mut q = from;
            while q < lazy_limit {
                if text.is_char_boundary(q)
                    && let Some((end, pay)) =
                        expr_or_number_at(text, q, false).filter(|(end, _)| not_followed_by_eq(text, *end))
                {
                    found = Some((end, pay));
                    break;
                }
                q += 1;
            }
        }
        if let Some((end, pay)) = found {
            if colon {
                out.push(Candidate {
                    priority: 100,
                    start: a,
                    end,
                    payload: pay.clone(),
                });
            }
            out.push(Candidate {
                priority: 200,
                start: a,
                end,
                payload: pay,
            });
        }
    }
    Ok(())
}
