//! Equivalence of two parsed answers, following Math-Verify's `sympy_expr_eq` rules but with
//! exact arithmetic and randomized evaluation instead of sympy's chopped evalf.

use crate::budget::{Budget, Over};
use crate::complex::{IMAGINARY_UNIT, eval_complex, uses_imaginary_unit};
use crate::eval::{Env, EvalError, Val, eval, values_equal};
use crate::expr::{Expr, RelOp};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

/// Comparison options (names as in Math-Verify's `verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// Decimal places floats are rounded to (`float_rounding`).
    pub precision: u32,
    /// Variables must match by name (otherwise renamed by position).
    pub strict: bool,
    /// Also compare a predicted relation with a gold set.
    pub allow_set_relation_comp: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            precision: 6,
            strict: true,
            allow_set_relation_comp: false,
        }
    }
}

type CResult = Result<bool, Over>;

/// Evaluation points for expressions with variables; sums and products with symbolic bounds
/// are only defined at integers, where identities need more points to be told apart.
const TRIALS: u64 = 3;
const INTEGER_TRIALS: u64 = 7;

/// How the variables of a comparison are sampled.
struct Points {
    vars: Vec<String>,
    trials: u64,
    integers: bool,
}

impl Points {
    fn new(gold: &Expr, pred: &Expr, exclude: Option<&str>) -> Points {
        let mut vars = gold.free_symbols();
        vars.extend(pred.free_symbols());
        vars.sort();
        vars.dedup();
        vars.retain(|v| Some(v.as_str()) != exclude);
        let integers = gold.has_symbolic_bounds() || pred.has_symbolic_bounds();
        let trials = match (vars.is_empty(), integers) {
            (true, _) => 1,
            (false, true) => INTEGER_TRIALS,
            (false, false) => TRIALS,
        };
        Points { vars, trials, integers }
    }

    fn bind(&self, trial: u64) -> Vec<(String, BigRational)> {
        self.vars
            .iter()
            .enumerate()
            .map(|(j, name)| {
                if self.integers {
                    let k = 3 + (trial * 7 + j as u64 * 5) % 19;
                    return (name.clone(), BigRational::from_integer(BigInt::from(k)));
                }
                // Distinct non-integer sample points per variable and trial; the second trial is
                // negative so that sqrt(x^2) and |x| are told apart from x.
                let h = (trial * 7919 + j as u64 * 104_729 + name.len() as u64 * 31) % 1000;
                let num = BigInt::from(h * 13 % 97 + 11);
                let den = BigInt::from(h % 17 + 3);
                let q = BigRational::new(num, den);
                (name.clone(), if trial == 1 { -q } else { q })
            })
            .collect()
    }
}

/// Expands `±` into a set and folds literal matrix arithmetic; run once per parsed answer.
pub fn prepare(e: &Expr) -> Expr {
    let e = fold_constants(&fold_matrices(e));
    let variants = expand_pm(&e, 0);
    match (variants.len(), &e) {
        (1, _) => variants.into_iter().next().unwrap_or(e),
        _ => {
            let mut out = Vec::new();
            for v in variants {
                match v {
                    Expr::Set(items) => out.extend(items),
                    other => out.push(other),
                }
            }
            Expr::Set(out)
        }
    }
}

/// Folds rational constant sub-expressions into numbers (sympy evaluates these eagerly too);
/// a float anywhere makes the result a float, as in sympy.
fn fold_constants(e: &Expr) -> Expr {
    const MAX_BITS: u64 = 4096;
    let folded = match e {
        Expr::Add(v) => Expr::Add(v.iter().map(fold_constants).collect()),
        Expr::Mul(v) => Expr::Mul(v.iter().map(fold_constants).collect()),
        Expr::Neg(a) => Expr::Neg(Box::new(fold_constants(a))),
        Expr::Div(a, b) => Expr::Div(Box::new(fold_constants(a)), Box::new(fold_constants(b))),
        Expr::Pow(a, b) => Expr::Pow(Box::new(fold_constants(a)), Box::new(fold_constants(b))),
        Expr::Num { .. } | Expr::Sym(_) | Expr::Text(_) | Expr::Pi | Expr::E | Expr::Inf => return e.clone(),
        other => {
            return other.map_leaves(&|x| {
                if std::ptr::eq(x, other) {
                    None
                } else {
                    Some(fold_constants(x))
                }
            });
        }
    };
    let nums: Option<Vec<(&BigRational, bool)>> = folded
        .children()
        .into_iter()
        .map(|c| match c {
            Expr::Num { value, float } => Some((value, *float)),
            _ => None,
        })
        .collect();
    let Some(nums) = nums else { return folded };
    let float = nums.iter().any(|(_, f)| *f);
    let value = match &folded {
        Expr::Add(_) => nums.iter().fold(BigRational::zero(), |acc, (v, _)| acc + *v),
        Expr::Mul(_) => nums
            .iter()
            .fold(BigRational::from_integer(1.into()), |acc, (v, _)| acc * *v),
        Expr::Neg(_) => -nums[0].0.clone(),
        Expr::Div(..) if !nums[1].0.is_zero() => nums[0].0 / nums[1].0,
        Expr::Pow(..) if nums[1].0.is_integer() => {
            let Some(k) = nums[1].0.to_integer().to_i32().filter(|k| k.unsigned_abs() <= 64) else {
                return folded;
            };
            let base = nums[0].0;
            if (base.is_zero() && k < 0)
                || base.numer().bits().max(base.denom().bits()) * u64::from(k.unsigned_abs()) > MAX_BITS
            {
                return folded;
            }
            num_traits::pow::Pow::pow(base, k)
        }
        _ => return folded,
    };
    Expr::Num { value, float }
}

fn contains_pm(e: &Expr) -> bool {
    matches!(e, Expr::PlusMinus(..)) || e.children().into_iter().any(contains_pm)
}

fn expand_pm(e: &Expr, depth: usize) -> Vec<Expr> {
    if let Expr::Set(items) = e {
        return vec![Expr::Set(items.iter().flat_map(|i| expand_pm(i, depth)).collect())];
    }
    if depth > 3 || !contains_pm(e) {
        return vec![e.clone()];
    }
    let pick = |sign: bool| {
        let done = std::cell::Cell::new(false);
        e.map_leaves(&|x| match x {
            Expr::PlusMinus(a, b) if !done.get() && !contains_pm(a) && !contains_pm(b) => {
                done.set(true);
                let b = if sign { (**b).clone() } else { Expr::Neg(b.clone()) };
                Some(Expr::Add(vec![(**a).clone(), b]))
            }
            _ => None,
        })
    };
    let mut out = expand_pm(&pick(true), depth + 1);
    out.extend(expand_pm(&pick(false), depth + 1));
    out
}

/// A matrix literal and whether it is negated.
type SignedMatrix<'a> = (bool, &'a Vec<Vec<Expr>>);

fn fold_matrices(e: &Expr) -> Expr {
    let folded = match e {
        Expr::Add(v) => Expr::Add(v.iter().map(fold_matrices).collect()),
        Expr::Mul(v) => Expr::Mul(v.iter().map(fold_matrices).collect()),
        Expr::Neg(a) => Expr::Neg(Box::new(fold_matrices(a))),
        other => return other.clone(),
    };
    match &folded {
        Expr::Add(v) if v.iter().all(|x| matches!(x, Expr::Matrix(_) | Expr::Neg(_))) => {
            let mats: Option<Vec<SignedMatrix<'_>>> = v
                .iter()
                .map(|x| match x {
                    Expr::Matrix(m) => Some((false, m)),
                    Expr::Neg(inner) => match &**inner {
                        Expr::Matrix(m) => Some((true, m)),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let Some(mats) = mats else { return folded };
            let (rows, cols) = (mats[0].1.len(), mats[0].1[0].len());
            if mats
                .iter()
                .any(|(_, m)| m.len() != rows || m.iter().any(|r| r.len() != cols))
            {
                return folded;
            }
            let out = (0..rows)
                .map(|i| {
                    (0..cols)
                        .map(|j| {
                            Expr::Add(
                                mats.iter()
                                    .map(|(neg, m)| {
                                        if *neg {
                                            Expr::Neg(Box::new(m[i][j].clone()))
                                        } else {
                                            m[i][j].clone()
                                        }
                                    })
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .collect();
            Expr::Matrix(out)
        }
        Expr::Mul(v) if v.len() == 2 => match (&v[0], &v[1]) {
            (s, Expr::Matrix(m)) | (Expr::Matrix(m), s) if !matches!(s, Expr::Matrix(_)) => Expr::Matrix(
                m.iter()
                    .map(|r| r.iter().map(|x| Expr::Mul(vec![s.clone(), x.clone()])).collect())
                    .collect(),
            ),
            (Expr::Matrix(a), Expr::Matrix(b)) if a[0].len() == b.len() => {
                // Matrix product, entry (i, j) = Σ_k a[i][k]·b[k][j].
                let cols = b[0].len();
                Expr::Matrix(
                    a.iter()
                        .map(|row| {
                            (0..cols)
                                .map(|j| {
                                    Expr::Add(
                                        row.iter()
                                            .zip(b)
                                            .map(|(x, brow)| Expr::Mul(vec![x.clone(), brow[j].clone()]))
                                            .collect(),
                                    )
                                })
                                .collect()
                        })
                        .collect(),
                )
            }
            _ => folded,
        },
        _ => folded,
    }
}

fn only_symbols(e: &Expr) -> bool {
    match e {
        Expr::Sym(_) => true,
        Expr::Func(name, args) => name.chars().next().is_some_and(char::is_alphabetic) && args.iter().all(only_symbols),
        Expr::Tuple(v) | Expr::Mul(v) => v.iter().all(only_symbols),
        Expr::Div(a, b) => only_symbols(a) && only_symbols(b),
        _ => false,
    }
}

fn is_equation(e: &Expr) -> bool {
    matches!(e, Expr::Rel(_, rest) if rest.iter().all(|(op, _)| *op == RelOp::Eq))
}

fn is_assignment(e: &Expr) -> bool {
    matches!(e, Expr::Rel(first, _) if is_equation(e) && only_symbols(first))
}

fn first_last(e: &Expr) -> Expr {
    match e {
        Expr::Rel(first, rest) => {
            let last = rest.last().map(|(_, x)| x.clone()).unwrap_or_else(|| (**first).clone());
            Expr::Rel(first.clone(), vec![(RelOp::Eq, last)])
        }
        other => other.clone(),
    }
}

fn last_rhs(e: &Expr) -> Expr {
    match e {
        Expr::Rel(_, rest) => rest.last().map(|(_, x)| x.clone()).unwrap_or_else(|| e.clone()),
        other => other.clone(),
    }
}

/// Converts a one-variable relation to the set it describes, when simple enough.
fn relation_as_set(e: &Expr) -> Option<Expr> {
    let Expr::Rel(first, rest) = e else { return None };
    let is_var = |x: &Expr| only_symbols(x);
    let inf = || Box::new(Expr::Inf);
    let neg_inf = || Box::new(Expr::Neg(Box::new(Expr::Inf)));
    let interval = |lo: Box<Expr>, hi: Box<Expr>, lo_open: bool, hi_open: bool| Expr::Interval {
        lo,
        hi,
        lo_open,
        hi_open,
    };
    match rest.as_slice() {
        [(op, rhs)] => {
            let (op, value) = if is_var(first) && !is_var(rhs) {
                (*op, rhs.clone())
            } else if is_var(rhs) && !is_var(first) {
                (op.flipped(), (**first).clone())
            } else {
                return None;
            };
            let v = Box::new(value);
            Some(match op {
                RelOp::Lt => interval(neg_inf(), v, true, true),
                RelOp::Le => interval(neg_inf(), v, true, false),
                RelOp::Gt => interval(v, inf(), true, true),
                RelOp::Ge => interval(v, inf(), false, true),
                RelOp::Eq => Expr::Set(vec![*v]),
                RelOp::Ne => Expr::Union(vec![
                    interval(neg_inf(), v.clone(), true, true),
                    interval(v, inf(), true, true),
                ]),
            })
        }
        [(op1, mid), (op2, hi)] if abs_of_var(mid) && !is_var(first) && !is_var(hi) => {
            // a ≤ |x| ≤ b  →  [-b, -a] ∪ [a, b] (written with a lower bound first).
            if !(matches!(op1, RelOp::Lt | RelOp::Le) && matches!(op2, RelOp::Lt | RelOp::Le)) {
                return None;
            }
            let neg = |e: &Expr| Box::new(Expr::Neg(Box::new(e.clone())));
            let (lo_open, hi_open) = (*op1 == RelOp::Lt, *op2 == RelOp::Lt);
            Some(Expr::Union(vec![
                interval(neg(hi), neg(first), hi_open, lo_open),
                interval(first.clone(), Box::new(hi.clone()), lo_open, hi_open),
            ]))
        }
        [(op1, mid), (op2, hi)] if is_var(mid) && !is_var(first) && !is_var(hi) => {
            let lower = matches!(op1, RelOp::Lt | RelOp::Le) && matches!(op2, RelOp::Lt | RelOp::Le);
            let upper = matches!(op1, RelOp::Gt | RelOp::Ge) && matches!(op2, RelOp::Gt | RelOp::Ge);
            if lower {
                Some(interval(
                    first.clone(),
                    Box::new(hi.clone()),
                    *op1 == RelOp::Lt,
                    *op2 == RelOp::Lt,
                ))
            } else if upper {
                Some(interval(
                    Box::new(hi.clone()),
                    first.clone(),
                    *op2 == RelOp::Gt,
                    *op1 == RelOp::Gt,
                ))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn abs_of_var(e: &Expr) -> bool {
    matches!(e, Expr::Func(name, args) if name == "abs" && args.len() == 1 && only_symbols(&args[0]))
}

fn is_set(e: &Expr) -> bool {
    matches!(e, Expr::Set(_) | Expr::Interval { .. } | Expr::Union(_)) || matches!(e, Expr::Tuple(v) if v.len() == 2)
}

/// Whether `gold` and `pred` denote the same answer.
pub fn expr_eq(gold: &Expr, pred: &Expr, opts: &CompareOptions, budget: &mut Budget) -> CResult {
    budget.tick()?;
    let mut gold = gold.clone();
    let mut pred = pred.clone();
    if !opts.strict {
        let (gv, pv) = (gold.free_symbols(), pred.free_symbols());
        if gv.len() == pv.len() {
            let map: Vec<(String, String)> = pv.into_iter().zip(gv).collect();
            pred = pred.rename(&map);
        }
    }
    let (gold_assign, pred_assign) = (is_assignment(&gold), is_assignment(&pred));
    let (gold_eq, pred_eq) = (is_equation(&gold), is_equation(&pred));
    if gold_assign {
        gold = first_last(&gold);
    }
    if pred_assign {
        pred = first_last(&pred);
    }
    if pred_eq && !gold_eq {
        pred = last_rhs(&pred);
    } else if gold_assign && !pred_eq {
        gold = last_rhs(&gold);
    }
    if gold.is_relation()
        && is_set(&pred)
        && let Some(s) = relation_as_set(&gold)
    {
        gold = s;
    }
    if opts.allow_set_relation_comp
        && pred.is_relation()
        && is_set(&gold)
        && let Some(s) = relation_as_set(&pred)
    {
        pred = s;
    }
    if gold.canonical() == pred.canonical() {
        return Ok(true);
    }
    if gold.is_relation() && pred.is_relation() {
        return relations_eq(&gold, &pred, budget);
    }
    if gold.is_relation() || pred.is_relation() {
        return Ok(false);
    }
    if gold.is_setlike() || pred.is_setlike() || matches!(gold, Expr::Matrix(_)) || matches!(pred, Expr::Matrix(_)) {
        return sets_eq(&gold, &pred, opts, budget);
    }
    if let (Some(g), Some(p)) = (symbol_name(&gold), symbol_name(&pred)) {
        let norm = |s: String| if s.chars().count() > 1 { s.to_lowercase() } else { s };
        return Ok(norm(g) == norm(p));
    }
    if matches!(gold, Expr::Text(_)) || matches!(pred, Expr::Text(_)) {
        return Ok(false);
    }
    scalars_eq(&gold, &pred, opts, budget)
}

fn symbol_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Sym(n) => Some(n.trim_start_matches('\\').to_string()),
        Expr::Text(t) => Some(t.chars().filter(|c| !c.is_whitespace()).collect()),
        Expr::E => Some("e".into()),
        Expr::Mul(v) if v.iter().any(|x| matches!(x, Expr::Sym(_) | Expr::Text(_))) => v
            .iter()
            .map(symbol_name)
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.concat()),
        _ => None,
    }
}

fn elements(e: &Expr) -> Vec<Expr> {
    match e {
        Expr::Set(v) | Expr::Tuple(v) => v.clone(),
        other => vec![other.clone()],
    }
}

fn dedup(v: Vec<Expr>) -> Vec<Expr> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|x| seen.insert(x.canonical())).collect()
}

fn ordered_eq(g: &[Expr], p: &[Expr], opts: &CompareOptions, budget: &mut Budget) -> CResult {
    if g.len() != p.len() {
        return Ok(false);
    }
    for (a, b) in g.iter().zip(p) {
        if !expr_eq(a, b, opts, budget)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn unordered_eq(g: &[Expr], p: &[Expr], opts: &CompareOptions, budget: &mut Budget) -> CResult {
    if g.len() != p.len() {
        return Ok(false);
    }
    let mut used = vec![false; p.len()];
    for a in g {
        let mut found = false;
        for (j, b) in p.iter().enumerate() {
            if !used[j] && expr_eq(a, b, opts, budget)? {
                used[j] = true;
                found = true;
                break;
            }
        }
        if !found {
            return Ok(false);
        }
    }
    Ok(true)
}

fn sets_eq(gold: &Expr, pred: &Expr, opts: &CompareOptions, budget: &mut Budget) -> CResult {
    match (gold, pred) {
        (
            Expr::Interval {
                lo: a,
                hi: b,
                lo_open: ao,
                hi_open: bo,
            },
            Expr::Interval {
                lo: c,
                hi: d,
                lo_open: co,
                hi_open: dopen,
            },
        ) => Ok(ao == co && bo == dopen && expr_eq(a, c, opts, budget)? && expr_eq(b, d, opts, budget)?),
        (
            Expr::Interval {
                lo,
                hi,
                lo_open: true,
                hi_open: true,
            },
            Expr::Tuple(v) | Expr::Set(v),
        )
        | (
            Expr::Tuple(v) | Expr::Set(v),
            Expr::Interval {
                lo,
                hi,
                lo_open: true,
                hi_open: true,
            },
        ) if v.len() == 2 => {
            let ends = [(**lo).clone(), (**hi).clone()];
            if matches!(gold, Expr::Interval { .. }) {
                ordered_eq(&ends, v, opts, budget)
            } else {
                ordered_eq(v, &ends, opts, budget)
            }
        }
        (Expr::Union(g), Expr::Union(p)) => unordered_eq(g, p, opts, budget),
        (Expr::Matrix(g), Expr::Matrix(p)) => {
            if g.len() != p.len() || g.iter().zip(p).any(|(a, b)| a.len() != b.len()) {
                return Ok(false);
            }
            let (gf, pf): (Vec<Expr>, Vec<Expr>) = (
                g.iter().flatten().cloned().collect(),
                p.iter().flatten().cloned().collect(),
            );
            ordered_eq(&gf, &pf, opts, budget)
        }
        (Expr::Union(_) | Expr::Interval { .. } | Expr::Matrix(_), _)
        | (_, Expr::Union(_) | Expr::Interval { .. } | Expr::Matrix(_)) => Ok(false),
        (Expr::Tuple(g), Expr::Tuple(p)) => ordered_eq(g, p, opts, budget),
        (Expr::Tuple(g), Expr::Set(p)) => ordered_eq(g, p, opts, budget),
        _ => {
            let (g, p) = (dedup(elements(gold)), dedup(elements(pred)));
            unordered_eq(&g, &p, opts, budget)
        }
    }
}

fn relation_parts(e: &Expr) -> Vec<(RelOp, Expr, Expr)> {
    let Expr::Rel(first, rest) = e else { return vec![] };
    let mut out = Vec::new();
    let mut lhs = (**first).clone();
    for (op, rhs) in rest {
        out.push((*op, lhs.clone(), rhs.clone()));
        lhs = rhs.clone();
    }
    out
}

fn relations_eq(gold: &Expr, pred: &Expr, budget: &mut Budget) -> CResult {
    let (g, p) = (relation_parts(gold), relation_parts(pred));
    if g.len() != p.len() {
        return Ok(false);
    }
    for ((go, gl, gr), (po, pl, pr)) in g.into_iter().zip(p) {
        if !relation_eq(go, gl, gr, po, pl, pr, budget)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `lhs op rhs` as (op in {=, ≠, <, ≤}, lhs − rhs) with `>`/`≥` flipped.
fn oriented(op: RelOp, lhs: Expr, rhs: Expr) -> (RelOp, Expr) {
    let d = |a: Expr, b: Expr| Expr::Add(vec![a, Expr::Neg(Box::new(b))]);
    match op {
        RelOp::Gt | RelOp::Ge => (op.flipped(), d(rhs, lhs)),
        _ => (op, d(lhs, rhs)),
    }
}

fn relation_eq(go: RelOp, gl: Expr, gr: Expr, po: RelOp, pl: Expr, pr: Expr, budget: &mut Budget) -> CResult {
    let (go, gd) = oriented(go, gl, gr);
    let (po, pd) = oriented(po, pl, pr);
    if go != po {
        return Ok(false);
    }
    if gd.canonical() == pd.canonical() {
        return Ok(true);
    }
    // lhs−rhs must agree up to a constant factor (positive for inequalities).
    let points = Points::new(&gd, &pd, None);
    let mut ratio: Option<Val> = None;
    for t in 0..points.trials {
        let env_vars = points.bind(t);
        let env = Env {
            vars: &env_vars,
            seed: 0,
        };
        let (a, b) = match (eval(&gd, &env, budget), eval(&pd, &env, budget)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(EvalError::Over(o)), _) | (_, Err(EvalError::Over(o))) => return Err(o),
            _ => return Ok(false),
        };
        let (za, zb) = (a.signum() == 0, b.signum() == 0);
        if za || zb {
            if za != zb {
                return Ok(false);
            }
            continue;
        }
        let r = match (a, b) {
            (Val::Q(x), Val::Q(y)) => Val::Q(x / y),
            (a, b) => Val::F(
                crate::float::BigFloat::from_rational(&a.to_rational())
                    .div(&crate::float::BigFloat::from_rational(&b.to_rational()))
                    .ok_or(Over::Size)?,
                matches!(a, Val::F(_, true)) || matches!(b, Val::F(_, true)),
            ),
        };
        if go != RelOp::Eq && go != RelOp::Ne && r.signum() < 0 {
            return Ok(false);
        }
        match &ratio {
            None => ratio = Some(r),
            Some(prev) if values_equal(prev, &r) => {}
            Some(_) => return Ok(false),
        }
    }
    Ok(true)
}

fn is_atomic_float(e: &Expr) -> bool {
    match e {
        Expr::Num { float, .. } => *float,
        Expr::Percent(a) | Expr::Neg(a) => is_atomic_float(a),
        _ => false,
    }
}

fn integer_value(e: &Expr) -> Option<BigRational> {
    match e {
        Expr::Num { value, float: false } if value.is_integer() => Some(value.clone()),
        Expr::Percent(a) => integer_value(a),
        Expr::Neg(a) => integer_value(a).map(|v| -v),
        _ => None,
    }
}

fn round_to(value: &BigRational, digits: u32) -> BigInt {
    let scale = BigRational::from_integer(num_traits::pow(BigInt::from(10), digits as usize));
    let scaled = value * scale;
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    if scaled.is_negative() {
        -((-scaled) + half).floor().to_integer()
    } else {
        (scaled + half).floor().to_integer()
    }
}

fn constant_value(e: &Expr, budget: &mut Budget) -> Result<Option<Val>, Over> {
    let env = Env { vars: &[], seed: 0 };
    match eval(e, &env, budget) {
        Ok(v) => Ok(Some(v)),
        Err(EvalError::Over(o)) => Err(o),
        Err(EvalError::Undefined) => Ok(None),
    }
}

fn scalars_eq(gold: &Expr, pred: &Expr, opts: &CompareOptions, budget: &mut Budget) -> CResult {
    if is_atomic_float(gold) || is_atomic_float(pred) {
        let (Some(a), Some(b)) = (constant_value(gold, budget)?, constant_value(pred, budget)?) else {
            return Ok(false);
        };
        return Ok(round_to(&a.to_rational(), opts.precision) == round_to(&b.to_rational(), opts.precision));
    }
    if let (Some(a), Some(b)) = (integer_value(gold), integer_value(pred)) {
        return Ok(a == b);
    }
    let imaginary = uses_imaginary_unit(gold) || uses_imaginary_unit(pred);
    let points = Points::new(gold, pred, imaginary.then_some(IMAGINARY_UNIT));
    let mut agreed = 0;
    for t in 0..points.trials {
        let env_vars = points.bind(t);
        let env = Env {
            vars: &env_vars,
            seed: 0,
        };
        let verdict = if imaginary {
            both(eval_complex(gold, &env, budget), eval_complex(pred, &env, budget)).map(|(a, b)| a.equals(&b))
        } else {
            both(eval(gold, &env, budget), eval(pred, &env, budget)).map(|(a, b)| values_equal(&a, &b))
        };
        match verdict {
            Ok(true) => agreed += 1,
            Ok(false) => return Ok(false),
            Err(EvalError::Over(o)) => return Err(o),
            Err(EvalError::Undefined) => {}
        }
    }
    Ok(agreed > 0)
}

/// Both values, or the more serious of the two errors (over budget beats undefined).
fn both<T>(a: Result<T, EvalError>, b: Result<T, EvalError>) -> Result<(T, T), EvalError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(EvalError::Over(o)), _) | (_, Err(EvalError::Over(o))) => Err(EvalError::Over(o)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}
