//! Python `repr` of literal expressions, to compare code literals with the visible tests' inputs.

use ruff_python_ast::{Expr, Number, UnaryOp};

/// The `repr` Python would print for a literal expression (`None` if it is not a plain literal).
pub(crate) fn repr(expr: &Expr) -> Option<String> {
    Some(match expr {
        Expr::NoneLiteral(_) => "None".to_owned(),
        Expr::BooleanLiteral(b) => if b.value { "True" } else { "False" }.to_owned(),
        Expr::NumberLiteral(n) => match &n.value {
            Number::Int(i) => i.to_string(),
            Number::Float(f) => float_repr(*f),
            Number::Complex { .. } => return None,
        },
        Expr::StringLiteral(s) => string_repr(s.value.to_str()),
        Expr::UnaryOp(u) if u.op == UnaryOp::USub => {
            let inner = repr(&u.operand)?;
            if inner.starts_with('-') {
                return None;
            }
            format!("-{inner}")
        }
        Expr::List(l) => format!("[{}]", join(&l.elts)?),
        Expr::Tuple(t) => {
            if t.elts.len() == 1 {
                format!("({},)", repr(&t.elts[0])?)
            } else {
                format!("({})", join(&t.elts)?)
            }
        }
        Expr::Dict(d) => {
            let mut parts = Vec::new();
            for item in &d.items {
                parts.push(format!("{}: {}", repr(item.key.as_ref()?)?, repr(&item.value)?));
            }
            format!("{{{}}}", parts.join(", "))
        }
        _ => return None,
    })
}

fn join(items: &[Expr]) -> Option<String> {
    Some(items.iter().map(repr).collect::<Option<Vec<_>>>()?.join(", "))
}

fn float_repr(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
pub(crate) fn string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Whether an expression is a constant (a literal, possibly nested) or a call on constants only.
pub(crate) fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::NoneLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::EllipsisLiteral(_) => true,
        Expr::UnaryOp(u) => is_constant(&u.operand),
        Expr::List(l) => l.elts.iter().all(is_constant),
        Expr::Tuple(t) => t.elts.iter().all(is_constant),
        Expr::Set(s) => s.elts.iter().all(is_constant),
        Expr::Dict(d) => d
            .items
            .iter()
            .all(|item| item.key.as_ref().is_none_or(is_constant) && is_constant(&item.value)),
        Expr::Call(c) => c.arguments.args.iter().all(is_constant) && c.arguments.keywords.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(source: &str) -> Expr {
        ruff_python_parser::parse_expression(source)
            .expect("valid expression")
            .into_expr()
    }

    #[test]
    fn reprs_match_python() {
        for (source, expected) in [
            ("([1, 2], 'a')", "([1, 2], 'a')"),
            ("(5,)", "(5,)"),
            ("\"it's\"", "\"it's\""),
            ("-3", "-3"),
            ("2.0", "2.0"),
            ("{'a': [None, True]}", "{'a': [None, True]}"),
        ] {
            assert_eq!(repr(&expr(source)).as_deref(), Some(expected), "{source}");
        }
        assert_eq!(repr(&expr("x + 1")), None);
    }
}
