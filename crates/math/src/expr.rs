//! The expression tree produced by the parser and its canonical (order-free) text form.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Signed;
use std::fmt::{self, Write};

/// Relation operators; `>`/`≥` are kept as written so flipped inequalities can be recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    /// `=`
    Eq,
    /// `≠`
    Ne,
    /// `<`
    Lt,
    /// `≤`
    Le,
    /// `>`
    Gt,
    /// `≥`
    Ge,
}

impl RelOp {
    /// The operator with its sides swapped (`<` becomes `>`).
    pub fn flipped(self) -> RelOp {
        match self {
            RelOp::Lt => RelOp::Gt,
            RelOp::Le => RelOp::Ge,
            RelOp::Gt => RelOp::Lt,
            RelOp::Ge => RelOp::Le,
            other => other,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            RelOp::Eq => "=",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
        }
    }
}

/// A parsed mathematical object.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An exact number; `float` records that it was written with a decimal point.
    Num {
        /// Exact value of the written number.
        value: BigRational,
        /// Written as a decimal (Math-Verify treats these as floats and rounds them).
        float: bool,
    },
    /// `x%`, kept unevaluated so `28%` can equal `28` as Math-Verify does.
    Percent(Box<Expr>),
    /// A variable or any other opaque name (subscripts included, e.g. `a_3`).
    Sym(String),
    /// Text from `\text{...}`, compared by name.
    Text(String),
    /// π
    Pi,
    /// Euler's number.
    E,
    /// ∞
    Inf,
    /// Sum of terms.
    Add(Vec<Expr>),
    /// Product of factors (written order kept).
    Mul(Vec<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Quotient.
    Div(Box<Expr>, Box<Expr>),
    /// Power.
    Pow(Box<Expr>, Box<Expr>),
    /// `a ± b`, expanded into a set before comparison.
    PlusMinus(Box<Expr>, Box<Expr>),
    /// A named function applied to arguments (built-in or undefined like `f(x)`).
    Func(String, Vec<Expr>),
    /// Ordered tuple `(a, b, ...)`.
    Tuple(Vec<Expr>),
    /// Finite set `{a, b, ...}` (written order kept; compared order-free).
    Set(Vec<Expr>),
    /// Interval with openness of each end.
    Interval {
        /// Left end.
        lo: Box<Expr>,
        /// Right end.
        hi: Box<Expr>,
        /// Left end excluded.
        lo_open: bool,
        /// Right end excluded.
        hi_open: bool,
    },
    /// Union of sets.
    Union(Vec<Expr>),
    /// Matrix given by rows.
    Matrix(Vec<Vec<Expr>>),
    /// Relation chain `first op1 e1 op2 e2 ...`.
    Rel(Box<Expr>, Vec<(RelOp, Expr)>),
}

impl Expr {
    /// An exact integer literal.
    pub fn int(n: i64) -> Expr {
        Expr::Num {
            value: BigRational::from_integer(BigInt::from(n)),
            float: false,
        }
    }

    /// An exact rational literal.
    pub fn rational(value: BigRational) -> Expr {
        Expr::Num { value, float: false }
    }

    /// Whether this is a set-like object (set, interval, union, tuple).
    pub fn is_setlike(&self) -> bool {
        matches!(
            self,
            Expr::Set(_) | Expr::Interval { .. } | Expr::Union(_) | Expr::Tuple(_)
        )
    }

    /// Whether this is a relation (equation or inequality).
    pub fn is_relation(&self) -> bool {
        matches!(self, Expr::Rel(..))
    }

    /// Child expressions, for generic traversals.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Num { .. } | Expr::Sym(_) | Expr::Text(_) | Expr::Pi | Expr::E | Expr::Inf => vec![],
            Expr::Percent(a) | Expr::Neg(a) => vec![a],
            Expr::Div(a, b) | Expr::Pow(a, b) | Expr::PlusMinus(a, b) => vec![a, b],
            Expr::Interval { lo, hi, .. } => vec![lo, hi],
            Expr::Add(v) | Expr::Mul(v) | Expr::Func(_, v) | Expr::Tuple(v) | Expr::Set(v) | Expr::Union(v) => {
                v.iter().collect()
            }
            Expr::Matrix(rows) => rows.iter().flatten().collect(),
            Expr::Rel(first, rest) => std::iter::once(&**first).chain(rest.iter().map(|(_, e)| e)).collect(),
        }
    }

    /// Free variable names, sorted and deduplicated.
    pub fn free_symbols(&self) -> Vec<String> {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            if let Expr::Sym(name) = e {
                out.push(name.clone());
            }
            if let Some((index, start, end, body)) = e.big_operator() {
                // The index of a sum or product is bound inside it.
                let mut inner = Vec::new();
                walk(body, &mut inner);
                out.extend(inner.into_iter().filter(|name| name != index));
                walk(start, out);
                walk(end, out);
                return;
            }
            for c in e.children() {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out.sort();
        out.dedup();
        out
    }

    /// `\\sum`/`\\prod` with an index: (index name, first value, last value, body).
    pub fn big_operator(&self) -> Option<(&str, &Expr, &Expr, &Expr)> {
        let Expr::Func(name, args) = self else {
            return None;
        };
        let [Expr::Rel(index, rest), end, body] = args.as_slice() else {
            return None;
        };
        match (name.as_str(), &**index, rest.as_slice()) {
            ("sum" | "prod", Expr::Sym(index), [(RelOp::Eq, start)]) => Some((index, start, end, body)),
            _ => None,
        }
    }

    /// Whether a sum or product bounds its index by a free variable (`\\sum_{k=1}^{n}`): such
    /// expressions only make sense at integer values of that variable.
    pub fn has_symbolic_bounds(&self) -> bool {
        if let Some((_, start, end, body)) = self.big_operator() {
            return !start.free_symbols().is_empty() || !end.free_symbols().is_empty() || body.has_symbolic_bounds();
        }
        self.children().iter().any(|c| c.has_symbolic_bounds())
    }

    /// Renames variables by the given map.
    pub fn rename(&self, map: &[(String, String)]) -> Expr {
        self.map_leaves(&|e| match e {
            Expr::Sym(name) => map
                .iter()
                .find(|(from, _)| from == name)
                .map(|(_, to)| Expr::Sym(to.clone())),
            _ => None,
        })
    }

    /// Rebuilds the tree, replacing nodes for which `f` returns `Some`.
    pub fn map_leaves(&self, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        if let Some(replaced) = f(self) {
            return replaced;
        }
        let m = |e: &Expr| e.map_leaves(f);
        let mb = |e: &Expr| Box::new(e.map_leaves(f));
        let mv = |v: &[Expr]| v.iter().map(m).collect::<Vec<_>>();
        match self {
            Expr::Percent(a) => Expr::Percent(mb(a)),
            Expr::Neg(a) => Expr::Neg(mb(a)),
            Expr::Div(a, b) => Expr::Div(mb(a), mb(b)),
            Expr::Pow(a, b) => Expr::Pow(mb(a), mb(b)),
            Expr::PlusMinus(a, b) => Expr::PlusMinus(mb(a), mb(b)),
            Expr::Interval {
                lo,
                hi,
                lo_open,
                hi_open,
            } => Expr::Interval {
                lo: mb(lo),
                hi: mb(hi),
                lo_open: *lo_open,
                hi_open: *hi_open,
            },
            Expr::Add(v) => Expr::Add(mv(v)),
            Expr::Mul(v) => Expr::Mul(mv(v)),
            Expr::Func(n, v) => Expr::Func(n.clone(), mv(v)),
            Expr::Tuple(v) => Expr::Tuple(mv(v)),
            Expr::Set(v) => Expr::Set(mv(v)),
            Expr::Union(v) => Expr::Union(mv(v)),
            Expr::Matrix(rows) => Expr::Matrix(rows.iter().map(|r| mv(r)).collect()),
            Expr::Rel(first, rest) => Expr::Rel(mb(first), rest.iter().map(|(op, e)| (*op, m(e))).collect()),
            leaf => leaf.clone(),
        }
    }

    /// Canonical text: commutative operands and set elements sorted, numbers reduced.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        self.write_canonical(&mut s);
        s
    }

    fn write_canonical(&self, s: &mut String) {
        let sorted = |v: &[Expr]| {
            let mut parts: Vec<String> = v.iter().map(Expr::canonical).collect();
            parts.sort();
            parts
        };
        let listed = |v: &[Expr]| v.iter().map(Expr::canonical).collect::<Vec<_>>();
        match self {
            Expr::Num { value, .. } => write_rational(s, value),
            Expr::Percent(a) => {
                let _ = write!(s, "({})%", a.canonical());
            }
            Expr::Sym(n) => s.push_str(n),
            Expr::Text(t) => {
                let _ = write!(s, "text({})", t.to_lowercase());
            }
            Expr::Pi => s.push_str("pi"),
            Expr::E => s.push('E'),
            Expr::Inf => s.push_str("oo"),
            Expr::Add(v) => {
                let _ = write!(s, "({})", sorted(v).join("+"));
            }
            Expr::Mul(v) => {
                let _ = write!(s, "({})", sorted(v).join("*"));
            }
            Expr::Neg(a) => {
                let _ = write!(s, "-({})", a.canonical());
            }
            Expr::Div(a, b) => {
                let _ = write!(s, "({})/({})", a.canonical(), b.canonical());
            }
            Expr::Pow(a, b) => {
                let _ = write!(s, "({})^({})", a.canonical(), b.canonical());
            }
            Expr::PlusMinus(a, b) => {
                let _ = write!(s, "({})+-({})", a.canonical(), b.canonical());
            }
            Expr::Func(n, v) => {
                let _ = write!(s, "{n}[{}]", listed(v).join(","));
            }
            Expr::Tuple(v) => {
                let _ = write!(s, "({})", listed(v).join(","));
            }
            Expr::Set(v) => {
                let mut parts = sorted(v);
                parts.dedup();
                let _ = write!(s, "{{{}}}", parts.join(","));
            }
            Expr::Interval {
                lo,
                hi,
                lo_open,
                hi_open,
            } => {
                let _ = write!(
                    s,
                    "{}{},{}{}",
                    if *lo_open { '(' } else { '[' },
                    lo.canonical(),
                    hi.canonical(),
                    if *hi_open { ')' } else { ']' }
                );
            }
            Expr::Union(v) => {
                let _ = write!(s, "U({})", sorted(v).join(","));
            }
            Expr::Matrix(rows) => {
                let rows: Vec<String> = rows.iter().map(|r| listed(r).join(",")).collect();
                let _ = write!(s, "M[{}]", rows.join(";"));
            }
            Expr::Rel(first, rest) => {
                s.push_str(&first.canonical());
                for (op, e) in rest {
                    s.push_str(op.symbol());
                    s.push_str(&e.canonical());
                }
            }
        }
    }
}

fn write_rational(s: &mut String, value: &BigRational) {
    if value.is_integer() {
        let _ = write!(s, "{}", value.numer());
    } else {
        let _ = write!(s, "{}/{}", value.numer(), value.denom());
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// `value` as a small non-negative integer, if it is one.
pub fn small_nonneg_int(value: &BigRational, limit: u64) -> Option<u64> {
    if !value.is_integer() || value.is_negative() {
        return None;
    }
    let n = value.to_integer();
    if n > BigInt::from(limit) {
        return None;
    }
    u64::try_from(n).ok()
}
