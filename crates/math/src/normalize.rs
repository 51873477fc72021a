//! LaTeX clean-up before parsing, mirroring latex2sympy2_extended's `normalize_latex`.

use regex::Regex;
use std::sync::OnceLock;

/// Which `\boxed{}` contents to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxedMode {
    /// All boxed contents joined by commas.
    All,
    /// The last boxed content (plus earlier ones separated by a short `and`/`,`).
    Last,
}

fn find_close(bytes: &[u8], open: usize, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(max).skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn has_separator(between: &str) -> bool {
    static SEP: OnceLock<Regex> = OnceLock::new();
    SEP.get_or_init(|| Regex::new(r"\b(and|or)\b|,|;").expect("valid regex"))
        .is_match(between)
}

/// Extracts `\boxed{}`/`\fbox{}` contents from right to left (see Math-Verify's rules).
pub fn extract_boxed_content(text: &str, mode: BoxedMode) -> String {
    let bytes = text.as_bytes();
    let mut results: Vec<String> = Vec::new();
    let mut current = text.len();
    let mut max_pos = text.len();
    let mut last_boxed_start: Option<usize> = None;
    loop {
        let boxed = text[..current].rfind("\\boxed");
        let fbox = text[..current].rfind("\\fbox");
        let (start, len) = match (boxed, fbox) {
            (None, None) => break,
            (Some(b), Some(f)) if f > b => (f, 5),
            (Some(b), _) => (b, 6),
            (None, Some(f)) => (f, 5),
        };
        let mut next = start + len;
        while next < max_pos && bytes[next].is_ascii_whitespace() {
            next += 1;
        }
        if next >= max_pos {
            break;
        }
        if bytes[next] == b'{' {
            let Some(close) = find_close(bytes, next, max_pos) else {
                if results.is_empty() {
                    results.push(text[next..].to_string());
                }
                break;
            };
            let content = text[next + 1..close].trim().to_string();
            if mode == BoxedMode::Last
                && let Some(last_start) = last_boxed_start
            {
                let between = text.get(close + 1..last_start).unwrap_or("");
                let prev = results.last().map(String::as_str).unwrap_or("");
                let ok = between.len() < 10 || (content != prev && between.len() < 70 && has_separator(between));
                if !ok {
                    break;
                }
            }
            if results.last() != Some(&content) {
                results.push(content);
            }
            last_boxed_start = Some(start);
            max_pos = start;
        } else {
            if results.is_empty() {
                results.push(text[next..].to_string());
            }
            break;
        }
        current = start;
    }
    if results.is_empty() {
        return text.to_string();
    }
    results.reverse();
    results.join(",")
}

struct Rules {
    left: Regex,
    right: Regex,
    remove: Regex,
    spaces: Regex,
    replace: Vec<(Regex, &'static str, &'static str)>,
    and_or: Regex,
    unit_text: Regex,
    units: Regex,
    slash_fix: Regex,
}

const UNITS: &str = "feet|foot|sue|digit|pound|meal|edge|student|multiple|east|degree|mph|kmph|ft|sq m|deg|mile|monkey|prime|ratio|rd|gm|lb|tile|per|dm|lt|gain|way|west|men|soldier|pie|excess|st|inches|noon|cent|by|gal|kmh|acre|rise|th|sq|mark|toy|coin|gallon|profit|yr|women|am|pm|hr|cu cm|square|rupee|rounds|cubic|cc|mtr|ohm|number|day|hour|minute|min|second|man|woman|sec|cube|mt|sq inch|mp|hectare|more|unit|cm 2|rs|kg|g|month|km|m|cm|mm|apple|liter|loss|yard|pure|year|increase|decrease|less|litre|metre|meter|inch|dollar|cents|yuan|euro|units|degrees|meters|seconds";

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let r = |p: &str| Regex::new(p).expect("valid regex");
        Rules {
            left: r(r"\\m?left(\\\{|\{|\\\||\||\[|\(|\\lbrace|\\lbrack|\\vert|\\lvert|\\lceil|\\lfloor|\\langle|\.)"),
            right: r(r"\\m?right(\\\}|\}|\\\||\||\]|\)|\\rbrace|\\rbrack|\\vert|\\rvert|\\rceil|\\rfloor|\\rangle|\.)"),
            remove: r(r#"\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\\$|\$|\\displaystyle"#),
            spaces: r(r"\\[,;:]|\\q?quad"),
            // Each rule carries a literal that must occur for it to match (cheap pre-check).
            replace: vec![
                (r(r"\\math(?:rm|it|bf|sf|tt)\b"), r"\text", "\\math"),
                (r(r"\\(?:text(?:normal|bf|it|rm)|mbox|operatorname)\b"), r"\text", "\\"),
                (r(r"\\(?:d|t|c)frac"), r"\frac", "frac"),
                (r(r"(\s)\.(\d)"), r"${1}0.$2", "."),
                (r(r"\{\.(\d)"), r"{0.$1", "{."),
                (r(r"\s*\{\s*,\s*\}"), ",", "{"),
                (r(r",?\s*\\text\{\s*(?:and|or)\s*\}"), ",", "\\text"),
                (r(r"\\ "), " ", "\\ "),
                (r(r"infinity"), r"\infty", "infinity"),
                (r(r",?\\[lc]?dots"), " ", "dots"),
                (r(r"\s*\\text\{\s*(?:percentage|percent|pct)\s*\}"), r"\%", "\\text"),
                (r(r"\s*\b(?:percentage|percent|pct)\b"), r"\%", "p"),
            ],
            and_or: r(r"(^|[^a-zA-Z])(,?\s*(?:and|or))([^a-zA-Z]|$)"),
            unit_text: r(r"(\\text\{[^}]*\})(\^\d|\{\^\d\})?\s*$"),
            units: Regex::new(&format!(r"(\d|\}}|\s)\s*(?:{UNITS})(?:s|es)?\s*$")).expect("valid regex"),
            slash_fix: r(r"\\\\([a-zA-Z])"),
        }
    })
}

/// Compiles the normalization rules now (they are otherwise built on first use).
pub fn warm_up() {
    rules();
    let _ = has_separator("");
}

/// Normalizes one extracted LaTeX string.
pub fn normalize_latex(text: &str, boxed: Option<BoxedMode>) -> String {
    let rules = rules();
    let mut t = match boxed {
        Some(mode) => extract_boxed_content(text, mode),
        None => text.to_string(),
    };
    if !t.contains("matrix") && !t.contains("array") {
        t = rules.slash_fix.replace_all(&t, r"\$1").into_owned();
    }
    // Protect `\\` (row breaks) from the single-backslash rules below.
    t = t.replace("\\\\", "\u{1}");
    t = t.replace(r"\mathrm{T}", "T").replace(r"\mathrm{d}", "d");
    if t.contains("left") {
        t = rules.left.replace_all(&t, "$1").into_owned();
    }
    if t.contains("right") {
        t = rules.right.replace_all(&t, "$1").into_owned();
    }
    t = t.replace(r"\(", "(").replace(r"\)", ")");
    t = rules.remove.replace_all(&t, "").into_owned();
    t = rules.spaces.replace_all(&t, " ").into_owned();
    for (re, rep, trigger) in &rules.replace {
        if t.contains(trigger) {
            t = re.replace_all(&t, *rep).into_owned();
        }
    }
    // Applied twice because adjacent matches share their boundary character.
    for _ in 0..2 {
        if !t.contains("and") && !t.contains("or") {
            break;
        }
        t = rules.and_or.replace_all(&t, "$1,$3").into_owned();
    }
    t = t.replace(['\n', '\t'], " ").replace('\u{1}', "\\\\");
    if t.contains("\\text") {
        let stripped = rules.unit_text.replace(&t, "").trim().to_string();
        if !stripped.is_empty() && stripped != t {
            t = stripped;
        }
    }
    for _ in 0..2 {
        if !t.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()) {
            break;
        }
        let stripped = rules.units.replace(&t, "$1").to_string();
        if !stripped.trim().is_empty() && stripped != t {
            t = stripped;
        }
    }
    let t = t.trim();
    if let Some(rest) = t.strip_prefix('.') {
        format!("0.{rest}")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_last_and_all() {
        assert_eq!(
            extract_boxed_content(r"\boxed{1} no no no no no \boxed{2}", BoxedMode::Last),
            "2"
        );
        assert_eq!(
            extract_boxed_content(r"\boxed{1},\boxed{2},\boxed{3}", BoxedMode::Last),
            "1,2,3"
        );
        assert_eq!(
            extract_boxed_content(r"a \boxed{\frac{1}{2}} b", BoxedMode::All),
            r"\frac{1}{2}"
        );
    }

    #[test]
    fn units_and_text_are_stripped() {
        assert_eq!(normalize_latex(r"15\mbox{ cm}^2", None), "15");
        assert_eq!(normalize_latex(r"\frac{1}{3} \text{meters}", None), r"\frac{1}{3}");
        assert_eq!(normalize_latex(r"6 \text{ and } 8", None), "6, 8");
    }
}
