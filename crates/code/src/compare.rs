//! Comparing a program's stdout with the expected output, outside the sandbox.

/// How an actual output is compared with the expected one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Byte-for-byte equal.
    Exact,
    /// Equal as sequences of whitespace-separated tokens (trailing newlines and spacing ignored).
    Tokens,
    /// As `Tokens`, but tokens that both parse as finite numbers are equal within a tolerance:
    /// `|a - b| <= max(rel_tol * max(|a|, |b|), abs_tol)` (Python's `math.isclose`).
    Float {
        /// Relative tolerance.
        rel_tol: f64,
        /// Absolute tolerance.
        abs_tol: f64,
    },
}

impl Comparison {
    /// True when `actual` matches `expected` under this comparison.
    pub fn matches(&self, actual: &[u8], expected: &[u8]) -> bool {
        match *self {
            Comparison::Exact => actual == expected,
            Comparison::Tokens => tokens(actual).eq(tokens(expected)),
            Comparison::Float { rel_tol, abs_tol } => {
                let (mut left, mut right) = (tokens(actual), tokens(expected));
                loop {
                    match (left.next(), right.next()) {
                        (None, None) => return true,
                        (Some(a), Some(b)) if a == b || numbers_close(a, b, rel_tol, abs_tol) => {}
                        _ => return false,
                    }
                }
            }
        }
    }
}

fn tokens(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(u8::is_ascii_whitespace).filter(|token| !token.is_empty())
}

fn numbers_close(a: &[u8], b: &[u8], rel_tol: f64, abs_tol: f64) -> bool {
    let parse = |token: &[u8]| {
        std::str::from_utf8(token)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|value| value.is_finite())
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => (a - b).abs() <= (rel_tol * a.abs().max(b.abs())).max(abs_tol),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_needs_identical_bytes() {
        assert!(Comparison::Exact.matches(b"1 2\n", b"1 2\n"));
        assert!(!Comparison::Exact.matches(b"1 2", b"1 2\n"));
    }

    #[test]
    fn tokens_ignore_spacing_but_not_content() {
        assert!(Comparison::Tokens.matches(b"1  2\r\n3\n\n", b"1 2 3"));
        assert!(!Comparison::Tokens.matches(b"1 2", b"1 2 3"));
        assert!(!Comparison::Tokens.matches(b"12", b"1 2"));
        assert!(!Comparison::Tokens.matches(b"", b"0"));
    }

    #[test]
    fn floats_compare_within_tolerance_and_other_tokens_exactly() {
        let close = Comparison::Float {
            rel_tol: 1e-6,
            abs_tol: 1e-9,
        };
        assert!(close.matches(b"0.3333333 yes", b"0.33333333 yes"));
        assert!(!close.matches(b"0.334 yes", b"0.333 yes"));
        assert!(!close.matches(b"0.3333333 no", b"0.33333333 yes"));
        assert!(close.matches(b"nan", b"nan"), "identical tokens match");
        assert!(!close.matches(b"nan", b"0"), "NaN is close to no number");
        assert!(close.matches(b"1e-12", b"0"), "absolute tolerance near zero");
        assert!(!close.matches(b"1", b"1 2"));
    }
}
