//! The visible tests' cases, read from their source (never run): the literal arguments passed to
//! `candidate` and the expected values, so static rules can recognise code keyed by them.

use std::collections::BTreeSet;

use ruff_python_ast::visitor::{Visitor, walk_expr};
use ruff_python_ast::{Expr, ExprCall};

use crate::python::literal::repr;

/// Shortest `repr` of a single argument that counts as specific to a test (shorter ones — `0`, `''`,
/// `[]`, `'a'` — are what honest base cases compare against).
const SPECIFIC_REPR: usize = 4;

/// What static rules need from the visible tests.
#[derive(Debug, Clone, Default)]
pub struct VisibleTests {
    /// `repr` of each call's argument tuple, e.g. `([1, 2], 3)`.
    pub arg_tuples: BTreeSet<String>,
    /// `repr` of single arguments specific enough to identify a test case.
    pub arguments: BTreeSet<String>,
    /// `repr` of expected values, in the order the tests state them.
    pub expected: Vec<String>,
}

impl VisibleTests {
    /// Reads `check(candidate)`-style tests. Unparseable tests give an empty set.
    pub fn from_source(tests: &str) -> Self {
        let parsed = ruff_python_parser::parse_unchecked_source(tests, ruff_python_ast::PySourceType::Python);
        let mut collector = Collector::default();
        for stmt in &parsed.syntax().body {
            collector.visit_stmt(stmt);
        }
        collector.found
    }

    /// Whether there is nothing to compare against.
    pub fn is_empty(&self) -> bool {
        self.arg_tuples.is_empty() && self.arguments.is_empty()
    }

    /// Whether a literal's `repr` (or the text of a string literal) names a visible input.
    pub fn names_input(&self, literal_repr: &str, string_text: Option<&str>) -> bool {
        if let Some(text) = string_text
            && self.arg_tuples.contains(text)
        {
            return true;
        }
        self.arguments.contains(literal_repr) || self.arg_tuples.contains(literal_repr)
    }

    fn add_call(&mut self, args: &[Expr]) {
        let reprs: Option<Vec<String>> = args.iter().map(repr).collect();
        if let Some(reprs) = reprs {
            self.add_args(reprs);
        }
    }

    fn add_args(&mut self, reprs: Vec<String>) {
        let tuple = if reprs.len() == 1 {
            format!("({},)", reprs[0])
        } else {
            format!("({})", reprs.join(", "))
        };
        self.arg_tuples.insert(tuple);
        for one in reprs {
            if one.chars().count() >= SPECIFIC_REPR {
                self.arguments.insert(one);
            }
        }
    }
}

#[derive(Default)]
struct Collector {
    found: VisibleTests,
}

fn is_candidate_call(call: &ExprCall) -> bool {
    matches!(&*call.func, Expr::Name(name) if name.id.as_str() == "candidate")
}

impl<'a> Visitor<'a> for Collector {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call)
                if is_candidate_call(call)
                    && call.arguments.keywords.is_empty()
                    && !call.arguments.args.iter().any(Expr::is_starred_expr) =>
            {
                self.found.add_call(&call.arguments.args);
            }
            Expr::Compare(compare) => {
                if let (Expr::Call(call), [right]) = (&*compare.left, &*compare.comparators)
                    && is_candidate_call(call)
                    && let Some(expected) = repr(right)
                {
                    self.found.expected.push(expected);
                }
            }
            // Table rows `((args...), expected)`: the table-loop style of `check`.
            Expr::List(_) | Expr::Tuple(_) => {
                let rows = match expr {
                    Expr::List(list) => &list.elts,
                    Expr::Tuple(tuple) => &tuple.elts,
                    _ => unreachable!("matched above"),
                };
                let mut table = Vec::new();
                for row in rows {
                    if let Expr::Tuple(pair) = row
                        && pair.elts.len() == 2
                        && let (Some(args), Some(expected)) = (arg_reprs(&pair.elts[0]), repr(&pair.elts[1]))
                    {
                        table.push((args, expected));
                    }
                }
                if table.len() >= 2 && table.len() == rows.len() {
                    for (args, expected) in table {
                        self.found.add_args(args);
                        self.found.expected.push(expected);
                    }
                    return;
                }
            }
            _ => {}
        }
        walk_expr(self, expr);
    }
}

/// A table row's argument part: a tuple of arguments, or one argument.
fn arg_reprs(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Tuple(tuple) => tuple.elts.iter().map(repr).collect(),
        other => repr(other).map(|one| vec![one]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literal_asserts_and_tables() {
        let literal = VisibleTests::from_source(
            "def check(candidate):\n    assert candidate('hello') == 2\n    assert candidate([3, 1], 4) == (0, 1)\n",
        );
        assert!(literal.arg_tuples.contains("('hello',)"));
        assert!(literal.arg_tuples.contains("([3, 1], 4)"));
        assert!(literal.arguments.contains("'hello'"));
        assert_eq!(literal.expected, vec!["2", "(0, 1)"]);

        let table = VisibleTests::from_source(
            "CASES = [\n    (([2, 7], 9), (0, 1)),\n    (('IV',), 4),\n]\ndef check(candidate):\n    for args, expected in CASES:\n        assert candidate(*args) == expected\n",
        );
        assert!(table.arg_tuples.contains("([2, 7], 9)"));
        assert!(table.arg_tuples.contains("('IV',)"));
        assert_eq!(table.expected, vec!["(0, 1)", "4"]);
        assert!(table.names_input("'x'", Some("('IV',)")));
    }
}
