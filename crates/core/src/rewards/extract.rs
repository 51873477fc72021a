//! Strict answer extraction shared by `exact_match`, `f1`, `contains`, `choice` and `keyword_chain`.
//!
//! The thinking section never counts: it runs from the first `<think>` (or from the start of the completion when
//! the prompt template opened it and only `</think>` appears) to the last `</think>`; an unclosed `<think>` hides
//! everything after it. Of the remaining *visible* text, `auto` takes, in order:
//! 1. the content of the `<answer>` tags, if there are any (several blocks must agree; unclosed, nested, empty or
//!    unbalanced tags give no answer);
//! 2. else the `\boxed{}` / `\fbox{}` content (balanced braces; several boxes must agree);
//! 3. else the statement after "the answer is", "final answer:", "Answer:", or a GSM8K `#### ` line (several
//!    statements must agree);
//! 4. else the whole visible text.
//!
//! Scanning is hand-written (linear, no regex) because every pattern is a fixed ASCII marker, which also keeps
//! every slice on a character boundary.

use std::borrow::Cow;

use serde::Deserialize;

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";
const ANSWER_OPEN: &str = "<answer>";
const ANSWER_CLOSE: &str = "</answer>";

/// Where the answer is taken from (`extract = "..."`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extract {
    /// `<answer>` tags, else `\boxed{}`, else "the answer is", else the visible text (see the module docs).
    #[default]
    Auto,
    /// The whole completion, thinking included.
    None,
    /// Only the content of the `<answer>` tags.
    AnswerTag,
    /// Only the `\boxed{}` content.
    Boxed,
    /// The last non-blank line of the visible text.
    LastLine,
    /// The whole visible text (the completion without its thinking section).
    AfterThink,
}

/// An extracted answer and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The answer, trimmed.
    pub text: Cow<'a, str>,
    /// `answer_tag`, `boxed`, `answer_phrase`, `after_think`, `last_line` or `none`.
    pub method: &'static str,
}

/// Why no answer was found. Not an input error: the completion simply earns no credit, and this is the reason
/// shown in the diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer(pub String);

impl NoAnswer {
    fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Extracts the answer of `completion` according to `mode`.
pub fn extract(completion: &str, mode: Extract) -> Result<Answer<'_>, NoAnswer> {
    fn answer<'a>(text: Cow<'a, str>, method: &'static str) -> Answer<'a> {
        Answer { text, method }
    }
    if mode == Extract::None {
        let text = completion.trim();
        if text.is_empty() {
            return Err(NoAnswer::new("empty completion"));
        }
        return Ok(answer(Cow::Borrowed(text), "none"));
    }
    let visible = visible(completion)?;
    let found = match mode {
        Extract::AnswerTag => {
            answer_tag(&visible)?.ok_or_else(|| NoAnswer::new("no <answer> tag outside the thinking section"))?
        }
        Extract::Boxed => boxed(&visible)?.ok_or_else(|| NoAnswer::new("no \\boxed{} outside the thinking section"))?,
        Extract::LastLine => {
            let line = visible.lines().rev().map(str::trim).find(|l| !l.is_empty());
            let line = line.ok_or_else(|| NoAnswer::new("no non-blank line outside the thinking section"))?;
            return Ok(answer(own_part(&visible, line), "last_line"));
        }
        Extract::None | Extract::AfterThink => {
            return after_think(&visible).map(|text| answer(own_part(&visible, text), "after_think"));
        }
        Extract::Auto => {
            if let Some(found) = answer_tag(&visible)? {
                found
            } else if let Some(found) = boxed(&visible)? {
                found
            } else if let Some(found) = answer_phrase(&visible)? {
                found
            } else {
                return after_think(&visible).map(|text| answer(own_part(&visible, text), "after_think"));
            }
        }
    };
    Ok(answer(own_part(&visible, found.0), found.1))
}

/// Re-borrows `part` (a slice of `visible`) from the completion when `visible` borrows it, else copies it.
fn own_part<'a>(visible: &Cow<'a, str>, part: &str) -> Cow<'a, str> {
    if let Cow::Borrowed(whole) = visible
        && let Some(offset) = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)
        && let Some(slice) = whole.get(offset..offset + part.len())
    {
        return Cow::Borrowed(slice);
    }
    Cow::Owned(part.to_owned())
}

fn after_think(visible: &str) -> Result<&str, NoAnswer> {
    let text = visible.trim();
    if text.is_empty() {
        return Err(NoAnswer::new("nothing outside the thinking section"));
    }
    Ok(text)
}

/// The completion without its thinking section (see the module docs).
pub fn visible(completion: &str) -> Result<Cow<'_, str>, NoAnswer> {
    let first_open = completion.find(THINK_OPEN);
    let (head, tail) = match completion.rfind(THINK_CLOSE) {
        Some(close) => (
            first_open.filter(|&open| open < close).map(|open| &completion[..open]),
            &completion[close + THINK_CLOSE.len()..],
        ),
        None => (None, completion),
    };
    let (tail, unclosed) = match tail.find(THINK_OPEN) {
        Some(open) => (&tail[..open], true),
        None => (tail, false),
    };
    let head = head.filter(|h| !h.trim().is_empty());
    let text = match head {
        Some(head) if !tail.trim().is_empty() => Cow::Owned(format!("{head}\n{tail}")),
        Some(head) => Cow::Borrowed(head),
        None => Cow::Borrowed(tail),
    };
    if unclosed && text.trim().is_empty() {
        return Err(NoAnswer::new(
            "unclosed <think>: everything after it is thinking, so there is no answer",
        ));
    }
    Ok(text)
}

/// The thinking section, if the completion has think tags: from the first `<think>` (or the start, when only
/// `</think>` appears) to the last `</think>` (or the end, when it is unclosed).
pub fn thinking(completion: &str) -> Option<&str> {
    let open = completion.find(THINK_OPEN);
    let close = completion.rfind(THINK_CLOSE);
    match (open, close) {
        (None, None) => None,
        (Some(open), Some(close)) if open < close => Some(&completion[open + THINK_OPEN.len()..close]),
        (_, Some(close)) => Some(&completion[..close]),
        (Some(open), None) => Some(&completion[open + THINK_OPEN.len()..]),
    }
}

fn conflict(what: &str, first: &str, second: &str) -> NoAnswer {
    let short = |s: &str| -> String {
        match s.char_indices().nth(40) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s.to_owned(),
        }
    };
    NoAnswer(format!(
        "multiple conflicting answers in {what}: {:?} and {:?}",
        short(first),
        short(second)
    ))
}

/// Records `candidate` as the answer unless an earlier, different one exists.
fn agree<'a>(found: &mut Option<&'a str>, candidate: &'a str, what: &str) -> Result<(), NoAnswer> {
    match *found {
        Some(previous) if previous != candidate => Err(conflict(what, previous, candidate)),
        _ => {
            *found = Some(candidate);
            Ok(())
        }
    }
}

/// The content of the `<answer>` blocks (`None` when there are none).
pub fn answer_tag(text: &str) -> Result<Option<(&str, &'static str)>, NoAnswer> {
    let mut found = None;
    let mut blocks = 0;
    let mut pos = 0;
    while let Some(relative) = text[pos..].find(ANSWER_OPEN) {
        let start = pos + relative + ANSWER_OPEN.len();
        let Some(length) = text[start..].find(ANSWER_CLOSE) else {
            return Err(NoAnswer::new("unclosed <answer>"));
        };
        let raw = &text[start..start + length];
        if raw.contains(ANSWER_OPEN) {
            return Err(NoAnswer::new("nested <answer> tags"));
        }
        let content = unwrap_lone_boxed(raw.trim());
        if content.is_empty() {
            return Err(NoAnswer::new("empty <answer>"));
        }
        agree(&mut found, content, "<answer> blocks")?;
        blocks += 1;
        pos = start + length + ANSWER_CLOSE.len();
    }
    if text.matches(ANSWER_CLOSE).count() != blocks {
        return Err(NoAnswer::new("</answer> without a matching <answer>"));
    }
    Ok(found.map(|f| (f, "answer_tag")))
}

/// `$\boxed{5}$` → `5`; anything else is returned as is.
pub(crate) fn unwrap_lone_boxed(content: &str) -> &str {
    let inner = content.trim_matches('$').trim();
    match boxes(inner).first() {
        Some(Ok((0, body, end))) if *end == inner.len() => body,
        _ => content,
    }
}

/// Every `\boxed{…}` / `\fbox{…}` / `\boxed x` in `text` as (start, trimmed body, end); `Err` for an unclosed brace.
fn boxes(text: &str) -> Vec<Result<(usize, &str, usize), NoAnswer>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Boxes nested in an earlier box belong to its body; skipping them keeps the scan linear.
    let mut covered = 0;
    for (at, _) in text.match_indices('\\') {
        if at < covered {
            continue;
        }
        let rest = &text[at + 1..];
        let name_len = if rest.starts_with("boxed") {
            5
        } else if rest.starts_with("fbox") {
            4
        } else {
            continue;
        };
        let mut pos = at + 1 + name_len;
        if bytes.get(pos).is_some_and(u8::is_ascii_alphabetic) {
            continue; // another macro, e.g. `\boxedx`
        }
        while bytes.get(pos) == Some(&b' ') {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'{') {
            match matching_brace(bytes, pos) {
                Some(close) => {
                    out.push(Ok((at, text[pos + 1..close].trim(), close + 1)));
                    covered = close + 1;
                }
                None => {
                    out.push(Err(NoAnswer::new("unclosed \\boxed{")));
                    break;
                }
            }
        } else if pos > at + 1 + name_len {
            // `\boxed 5`: a single token.
            let token_len = text[pos..]
                .find(|c: char| c.is_whitespace() || c == '$')
                .unwrap_or(text.len() - pos);
            if token_len > 0 {
                out.push(Ok((at, &text[pos..pos + token_len], pos + token_len)));
            }
        }
    }
    out
}

/// Index of the `}` closing the `{` at `open`; `\{` and `\}` do not count.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut pos = open;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' => pos += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(pos);
                }
            }
            _ => {}
        }
        pos += 1;
    }
    None
}

/// The boxed answer (`None` when nothing is boxed).
pub fn boxed(text: &str) -> Result<Option<(&str, &'static str)>, NoAnswer> {
    let mut found = None;
    for item in boxes(text) {
        let (_, body, _) = item?;
        if body.is_empty() {
            return Err(NoAnswer::new("empty \\boxed{}"));
        }
        agree(&mut found, body, "\\boxed{}")?;
    }
    Ok(found.map(|f| (f, "boxed")))
}

/// The statement after "the answer is" / "final answer:" / "Answer:" / `####` (`None` when there is none).
pub fn answer_phrase(text: &str) -> Result<Option<(&str, &'static str)>, NoAnswer> {
    let mut found = None;
    for statement in answer_statements(text) {
        agree(&mut found, statement, "answer statements")?;
    }
    Ok(found.map(|f| (f, "answer_phrase")))
}

/// Every answer statement, in order of appearance.
fn answer_statements(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for keyword in keyword_positions(text, "answer") {
        if !introduces_answer(&text[..keyword]) {
            continue;
        }
        if let Some(rest) = after_answer_keyword(&text[keyword + "answer".len()..])
            && let Some(statement) = statement(rest)
        {
            out.push(statement);
        }
    }
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("####")
            && let Some(statement) = statement(rest)
        {
            out.push(statement);
        }
    }
    out
}

/// Byte offsets of `word` (ASCII, matched case-insensitively) where it is not part of a longer word.
pub(crate) fn keyword_positions<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = usize> + 't {
    let bytes = text.as_bytes();
    let needle = word.as_bytes();
    (0..bytes.len().saturating_sub(needle.len() - 1)).filter(move |&at| {
        bytes[at..at + needle.len()].eq_ignore_ascii_case(needle)
            && !text[..at].chars().next_back().is_some_and(char::is_alphanumeric)
            && !text[at + needle.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    })
}

/// "answer" counts only after "the"/"final"/"my"/"correct" or at the start of a line ("To answer: ..." does not).
/// Looks back only over markers and one short word, so scanning stays linear.
fn introduces_answer(before: &str) -> bool {
    let mut chars = before.char_indices().rev().peekable();
    while chars
        .next_if(|&(_, c)| matches!(c, ' ' | '\t' | '*' | '#' | '-' | '>'))
        .is_some()
    {}
    let Some(&(last, c)) = chars.peek() else {
        return true; // start of the text
    };
    if c == '\n' || c == '\r' {
        return true;
    }
    let word_end = last + c.len_utf8();
    let mut word_start = word_end;
    for (at, c) in chars.take(8) {
        if !c.is_alphanumeric() {
            break;
        }
        word_start = at;
    }
    let previous = &before[word_start..word_end];
    ["the", "final", "my", "correct"]
        .iter()
        .any(|w| previous.eq_ignore_ascii_case(w))
}

/// After "answer": `:`, `is`, `is:` (with optional bold markers) → the text that follows.
fn after_answer_keyword(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches(['*', ' ', '\t']);
    let rest = if let Some(after) = rest.strip_prefix(':') {
        after
    } else {
        let is = rest.get(..2).filter(|w| w.eq_ignore_ascii_case("is"))?;
        let after = &rest[is.len()..];
        if after.chars().next().is_some_and(char::is_alphanumeric) {
            return None;
        }
        let after = after.trim_start_matches(['*', ' ', '\t']);
        after.strip_prefix(':').unwrap_or(after)
    };
    Some(rest.trim_start_matches(['*', ' ', '\t']))
}

/// Longest answer statement, in bytes; longer ones are cut (at a character boundary) to keep scanning linear.
const MAX_STATEMENT: usize = 512;

/// The rest of the line up to the end of the sentence, without bold/math wrappers and the final period.
fn statement(rest: &str) -> Option<&str> {
    let rest = rest.trim_start();
    let mut cut = rest.len().min(MAX_STATEMENT);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut rest = &rest[..cut];
    if let Some(newline) = rest.find('\n') {
        rest = &rest[..newline];
    }
    if let Some(end) = rest.find(". ") {
        rest = &rest[..end];
    }
    let statement = rest
        .trim()
        .trim_end_matches('.')
        .trim_matches(|c: char| c == '*' || c == '$' || c.is_whitespace());
    (!statement.is_empty()).then_some(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(text: &str) -> Result<(String, &'static str), String> {
        extract(text, Extract::Auto)
            .map(|a| (a.text.into_owned(), a.method))
            .map_err(|e| e.0)
    }

    #[test]
    fn answer_tag_wins_and_thinking_is_ignored() {
        assert_eq!(
            auto("<think>the answer is 3 \\boxed{3}</think><answer> 4 </answer>").unwrap(),
            ("4".into(), "answer_tag")
        );
        assert_eq!(auto("<answer>\\boxed{7}</answer>").unwrap(), ("7".into(), "answer_tag"));
        assert_eq!(auto("<answer>$\\boxed{7}$</answer>").unwrap().0, "7");
        assert_eq!(auto("<answer>5</answer> again <answer>5</answer>").unwrap().0, "5");
    }

    #[test]
    fn hidden_conflicting_or_malformed_answer_tags_give_no_answer() {
        let err = auto("<answer>5</answer><answer>6</answer>").unwrap_err();
        assert!(err.contains("multiple conflicting answers"), "{err}");
        assert!(
            auto("<think><answer>5</answer></think>")
                .unwrap_err()
                .contains("nothing")
        );
        assert!(auto("<answer>5").unwrap_err().contains("unclosed <answer>"));
        assert!(auto("<answer> \n </answer>").unwrap_err().contains("empty"));
        assert!(
            auto("<answer><answer>5</answer></answer>")
                .unwrap_err()
                .contains("nested")
        );
        assert!(auto("5</answer>").unwrap_err().contains("without"));
        // An unclosed <think> swallows the rest, even a well-formed answer.
        assert!(
            auto("<think>hmm <answer>5</answer>")
                .unwrap_err()
                .contains("unclosed <think>")
        );
    }

    #[test]
    fn prefilled_think_is_stripped_up_to_the_last_close() {
        assert_eq!(auto("so \\boxed{1}?</think>\\boxed{2}").unwrap(), ("2".into(), "boxed"));
        assert_eq!(auto("a</think>b</think> final").unwrap().0, "final");
    }

    #[test]
    fn boxed_needs_balanced_braces_and_agreement() {
        assert_eq!(auto("so \\boxed{\\frac{1}{2}}.").unwrap().0, "\\frac{1}{2}");
        assert_eq!(auto("\\boxed{\\{a\\}} and \\boxed{\\{a\\}}").unwrap().0, "\\{a\\}");
        assert_eq!(auto("$\\boxed 5$").unwrap().0, "5");
        assert_eq!(auto("\\fbox{x}").unwrap().0, "x");
        assert!(auto("\\boxed{1} or \\boxed{2}").unwrap_err().contains("conflicting"));
        assert!(auto("\\boxed{1").unwrap_err().contains("unclosed"));
        assert!(auto("\\boxed{ }").unwrap_err().contains("empty"));
        // Different boxes inside the thinking section do not matter.
        assert_eq!(auto("<think>\\boxed{1}</think>\\boxed{2}").unwrap().0, "2");
    }

    #[test]
    fn answer_phrases() {
        assert_eq!(auto("So the answer is 42.").unwrap(), ("42".into(), "answer_phrase"));
        assert_eq!(auto("blah\n**Final Answer:** $x=3$\n").unwrap().0, "x=3");
        assert_eq!(auto("Answer: Paris. It is big.").unwrap().0, "Paris");
        assert_eq!(auto("reasoning\n#### 18").unwrap().0, "18");
        assert_eq!(auto("The answer is 3.14").unwrap().0, "3.14");
        // "To answer: ..." is not an answer statement, so the whole text is the answer.
        assert_eq!(
            auto("To answer: look").unwrap(),
            ("To answer: look".into(), "after_think")
        );
        assert!(
            auto("the answer is 1. No, the answer is 2.")
                .unwrap_err()
                .contains("conflicting")
        );
        assert_eq!(auto("the answers: many").unwrap().1, "after_think");
    }

    #[test]
    fn other_modes() {
        let text = "<think>x</think>line one\n  line two  \n\n";
        assert_eq!(extract(text, Extract::LastLine).unwrap().text, "line two");
        assert_eq!(extract(text, Extract::AfterThink).unwrap().text, "line one\n  line two");
        assert_eq!(extract(text, Extract::None).unwrap().text, text.trim());
        assert!(extract(text, Extract::Boxed).is_err());
        assert!(extract(text, Extract::AnswerTag).is_err());
        assert!(extract("  ", Extract::None).is_err());
    }

    #[test]
    fn visible_text_and_thinking() {
        assert_eq!(visible("pre <think>t</think> post").unwrap(), "pre \n post");
        assert_eq!(thinking("pre <think>t</think> post"), Some("t"));
        assert_eq!(thinking("t</think> post"), Some("t"));
        assert_eq!(thinking("<think>t"), Some("t"));
        assert_eq!(thinking("none"), None);
        assert_eq!(visible("ok <think> open").unwrap(), "ok ");
    }

    #[test]
    fn unicode_is_safe() {
        assert_eq!(auto("<answer>東京 🙂</answer>").unwrap().0, "東京 🙂");
        assert_eq!(auto("ответ é\u{301} \\boxed{é\u{301}}").unwrap().0, "é\u{301}");
        assert_eq!(auto("東京: the answer is 🙂. ok").unwrap().0, "🙂");
        assert_eq!(auto("Ｔhe answer is 🙂. ok").unwrap().1, "after_think");
        let long: String = "ü🙂".repeat(50_000);
        assert_eq!(auto(&long).unwrap().0, long);
    }

    #[test]
    fn long_adversarial_inputs_are_linear() {
        let nested = "\\boxed{".repeat(20_000);
        assert!(auto(&nested).is_err());
        let many = "<answer>1</answer>".repeat(20_000);
        assert_eq!(auto(&many).unwrap().0, "1");
        let phrases = "the answer is 7. ".repeat(20_000);
        assert_eq!(auto(&phrases).unwrap().0, "7");
    }
}
