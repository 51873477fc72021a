//! Answer normalization for `exact_match`, `f1` and `contains`.

use serde::Deserialize;

/// How answers and references are normalized before they are compared (`normalize = "..."`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Surrounding whitespace trimmed; nothing else.
    Exact,
    /// Lowercase, whitespace runs collapsed to one space, surrounding `**`/`*`/`$`/quotes and a final period
    /// removed. Keeps digits and punctuation inside the answer, so `3.5` never equals `35`.
    #[default]
    Basic,
    /// The official SQuAD v1.1 `normalize_answer`: lowercase, ASCII punctuation deleted, the words a/an/the
    /// removed, whitespace collapsed. Meant for prose answers: it makes `3.5` equal `35`.
    Squad,
}

impl Normalize {
    /// The normalized text.
    pub fn apply(self, text: &str) -> String {
        match self {
            Self::Exact => text.trim().to_owned(),
            Self::Basic => basic(text),
            Self::Squad => squad(text),
        }
    }
}

fn basic(text: &str) -> String {
    let mut text = text.trim();
    loop {
        let stripped = text
            .trim_end_matches('.')
            .trim_matches(|c: char| matches!(c, '*' | '$' | '"' | '\'' | '`') || c.is_whitespace());
        if stripped.len() == text.len() {
            break;
        }
        text = stripped;
    }
    text.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Python's `\w` for one character: alphanumeric or underscore.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// SQuAD v1.1: `white_space_fix(remove_articles(remove_punc(lower(s))))`. `remove_articles` replaces every whole
/// word (maximal run of `\w` characters) equal to a, an or the with a space, which is what `\b(a|an|the)\b` does.
fn squad(text: &str) -> String {
    // `str::to_lowercase` applies the final-sigma rule, as Python's `str.lower` does.
    let lowered: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    let mut without_articles = String::with_capacity(lowered.len());
    let mut rest = lowered.as_str();
    while let Some(start) = rest.find(is_word_char) {
        without_articles.push_str(&rest[..start]);
        let word_len = rest[start..]
            .find(|c: char| !is_word_char(c))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        if matches!(word, "a" | "an" | "the") {
            without_articles.push(' ');
        } else {
            without_articles.push_str(word);
        }
        rest = &rest[start + word_len..];
    }
    without_articles.push_str(rest);
    without_articles.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squad_matches_the_official_script() {
        assert_eq!(
            Normalize::Squad.apply("The  Eiffel-Tower, in Paris!"),
            "eiffeltower in paris"
        );
        assert_eq!(Normalize::Squad.apply("an apple a day"), "apple day");
        assert_eq!(Normalize::Squad.apply("theatre"), "theatre");
        assert_eq!(Normalize::Squad.apply("3.5"), "35");
        // Non-ASCII punctuation is kept (string.punctuation is ASCII) and still separates words.
        assert_eq!(Normalize::Squad.apply("the—cat"), "—cat");
        assert_eq!(Normalize::Squad.apply("Ünïcode É"), "ünïcode é");
        // Expected values below come from the official script run under Python 3.11.
        assert_eq!(Normalize::Squad.apply("A_the the_a théâtre"), "athe thea théâtre");
        assert_eq!(Normalize::Squad.apply("l'an"), "lan");
        assert_eq!(Normalize::Squad.apply("THE\u{a0}END"), "end");
        assert_eq!(Normalize::Squad.apply("a1 an2 the3"), "a1 an2 the3");
        assert_eq!(Normalize::Squad.apply("ΣΑ the ΑΣ"), "σα ας");
    }

    #[test]
    fn basic_keeps_inner_punctuation() {
        assert_eq!(Normalize::Basic.apply("  **$3.5$**. "), "3.5");
        assert_eq!(Normalize::Basic.apply("New\n  York"), "new york");
        assert_eq!(Normalize::Basic.apply("\"Paris\""), "paris");
        assert_eq!(Normalize::Exact.apply(" A b "), "A b");
    }
}
