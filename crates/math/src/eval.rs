//! Numeric evaluation: exact rationals while values stay rational, big-floats for radicals and π,
//! f64 (flagged lossy) for transcendental functions. Variables are bound by the caller.

use crate::budget::{Budget, Over};
use crate::expr::{Expr, small_nonneg_int};
use crate::float::{self, BigFloat};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// A real value.
#[derive(Debug, Clone)]
pub enum Val {
    /// Exact rational.
    Q(BigRational),
    /// Approximation; `lossy` when an f64 function was involved.
    F(BigFloat, bool),
}

/// Why evaluation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// Budget exceeded: the verdict must be `unknown`.
    Over(Over),
    /// Not a real number here (division by zero, even root of a negative, ∞, sets...).
    Undefined,
}

impl From<Over> for EvalError {
    fn from(o: Over) -> Self {
        EvalError::Over(o)
    }
}

type EResult = Result<Val, EvalError>;

impl Val {
    fn to_float(&self) -> (BigFloat, bool) {
        match self {
            Val::Q(q) => (BigFloat::from_rational(q), false),
            Val::F(f, l) => (f.clone(), *l),
        }
    }

    /// Approximate f64 value.
    pub fn to_f64(&self) -> f64 {
        match self {
            Val::Q(q) => q.to_f64().unwrap_or(f64::NAN),
            Val::F(f, _) => f.to_f64(),
        }
    }

    /// Exact rational, or the rational value of the approximation.
    pub fn to_rational(&self) -> BigRational {
        match self {
            Val::Q(q) => q.clone(),
            Val::F(f, _) => f.to_rational(),
        }
    }

    fn is_zero(&self) -> bool {
        match self {
            Val::Q(q) => q.is_zero(),
            Val::F(f, _) => f.is_zero(),
        }
    }

    /// Sign as -1, 0, 1.
    pub fn signum(&self) -> i32 {
        match self {
            Val::Q(q) => {
                if q.is_zero() {
                    0
                } else if q.is_positive() {
                    1
                } else {
                    -1
                }
            }
            Val::F(f, _) => f.signum(),
        }
    }
}

/// Equality of two values: exact for rationals, relative 2^-256 (2^-30 if lossy) otherwise.
pub fn values_equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Q(x), Val::Q(y)) => x == y,
        _ => {
            let (fa, la) = a.to_float();
            let (fb, lb) = b.to_float();
            fa.close(&fb, if la || lb { 30 } else { 256 })
        }
    }
}

/// Variable bindings for one evaluation point.
pub struct Env<'a> {
    /// (name, value) pairs.
    pub vars: &'a [(String, BigRational)],
    /// Seed mixed into undefined-function values.
    pub seed: u64,
}

fn check_q(q: BigRational, budget: &Budget) -> EResult {
    budget.check_bits(q.numer().bits().max(q.denom().bits()))?;
    Ok(Val::Q(q))
}

pub(crate) fn add(a: Val, b: Val, budget: &Budget) -> EResult {
    match (a, b) {
        (Val::Q(x), Val::Q(y)) => check_q(x + y, budget),
        (a, b) => {
            let ((x, l1), (y, l2)) = (a.to_float(), b.to_float());
            Ok(Val::F(x.add(&y), l1 || l2))
        }
    }
}

pub(crate) fn mul(a: Val, b: Val, budget: &Budget) -> EResult {
    match (a, b) {
        (Val::Q(x), Val::Q(y)) => check_q(x * y, budget),
        (a, b) => {
            let ((x, l1), (y, l2)) = (a.to_float(), b.to_float());
            Ok(Val::F(x.mul(&y), l1 || l2))
        }
    }
}

pub(crate) fn div(a: Val, b: Val, budget: &Budget) -> EResult {
    if b.is_zero() {
        return Err(EvalError::Undefined);
    }
    match (a, b) {
        (Val::Q(x), Val::Q(y)) => check_q(x / y, budget),
        (a, b) => {
            let ((x, l1), (y, l2)) = (a.to_float(), b.to_float());
            Ok(Val::F(x.div(&y).ok_or(EvalError::Undefined)?, l1 || l2))
        }
    }
}

pub(crate) fn neg(a: Val) -> Val {
    match a {
        Val::Q(x) => Val::Q(-x),
        Val::F(f, l) => Val::F(f.neg(), l),
    }
}

fn exact_root(q: &BigRational, n: u32) -> Option<BigRational> {
    let root_int = |x: &BigInt| {
        let r = x.nth_root(n);
        if num_traits::pow(r.clone(), n as usize) == *x {
            Some(r)
        } else {
            None
        }
    };
    if q.is_negative() {
        if n.is_multiple_of(2) {
            return None;
        }
        return exact_root(&-q, n).map(|r| -r);
    }
    Some(BigRational::new(root_int(q.numer())?, root_int(q.denom())?))
}

pub(crate) fn root(a: Val, n: u32) -> EResult {
    if n == 0 {
        return Err(EvalError::Undefined);
    }
    match &a {
        Val::Q(q) => {
            if let Some(r) = exact_root(q, n) {
                return Ok(Val::Q(r));
            }
            if q.is_negative() {
                if n % 2 == 1 {
                    let r = root(Val::Q(-q), n)?;
                    return Ok(neg(r));
                }
                return Err(EvalError::Undefined);
            }
            let f = BigFloat::from_rational(q);
            Ok(Val::F(f.root(n).ok_or(EvalError::Undefined)?, false))
        }
        Val::F(f, l) => {
            if f.signum() < 0 && n % 2 == 1 {
                return Ok(Val::F(f.neg().root(n).ok_or(EvalError::Undefined)?.neg(), *l));
            }
            Ok(Val::F(f.root(n).ok_or(EvalError::Undefined)?, *l))
        }
    }
}

fn int_pow(base: Val, exp: &BigInt, budget: &mut Budget) -> EResult {
    let e = exp.to_i64().ok_or(EvalError::Over(Over::Size))?;
    if e.unsigned_abs() > 1_000_000 {
        return Err(EvalError::Over(Over::Size));
    }
    if let Val::Q(q) = &base {
        if q.is_zero() && e < 0 {
            return Err(EvalError::Undefined);
        }
        let bits = q.numer().bits().max(q.denom().bits()).saturating_sub(1);
        budget.check_bits(bits.saturating_mul(e.unsigned_abs()))?;
    }
    let result = power_by_squaring(base, e.unsigned_abs(), Val::Q(BigRational::one()), budget, mul)?;
    if e < 0 {
        div(Val::Q(BigRational::one()), result, budget)
    } else {
        Ok(result)
    }
}

/// `base^k` with O(log k) multiplications, each one a budget tick.
pub(crate) fn power_by_squaring<T: Clone>(
    base: T,
    mut k: u64,
    one: T,
    budget: &mut Budget,
    mul: impl Fn(T, T, &Budget) -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    let mut result = one;
    let mut square = base;
    while k > 0 {
        budget.tick()?;
        if k & 1 == 1 {
            result = mul(result, square.clone(), budget)?;
        }
        k >>= 1;
        if k > 0 {
            square = mul(square.clone(), square, budget)?;
        }
    }
    Ok(result)
}

fn pow(base: Val, exp: Val, budget: &mut Budget) -> EResult {
    match &exp {
        Val::Q(q) if q.is_integer() => int_pow(base, q.numer(), budget),
        Val::Q(q) => {
            let d = q.denom().to_u32().filter(|d| *d <= 64).ok_or(EvalError::Undefined)?;
            let r = root(base, d)?;
            int_pow(r, q.numer(), budget)
        }
        Val::F(..) => {
            let b = base.to_f64();
            if b <= 0.0 {
                return Err(EvalError::Undefined);
            }
            lossy(b.powf(exp.to_f64()))
        }
    }
}

fn lossy(x: f64) -> EResult {
    if !x.is_finite() {
        return Err(EvalError::Undefined);
    }
    Ok(Val::F(BigFloat::from_f64(x).ok_or(EvalError::Undefined)?, true))
}

fn hash(s: &str, seed: u64) -> u64 {
    // FNV-1a: deterministic values for undefined functions, stable across runs.
    let mut h: u64 = 0xcbf29ce484222325 ^ seed;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn small_q(h: u64) -> BigRational {
    BigRational::new(BigInt::from(h % 89 + 3), BigInt::from((h >> 16) % 13 + 2))
}

fn factorial(n: u64, budget: &mut Budget) -> EResult {
    if n > 20_000 {
        return Err(EvalError::Over(Over::Size));
    }
    let mut acc = BigInt::one();
    for k in 2..=n {
        budget.tick()?;
        acc *= k;
    }
    check_q(BigRational::from_integer(acc), budget)
}

/// Evaluates `e` at the given bindings.
pub fn eval(e: &Expr, env: &Env<'_>, budget: &mut Budget) -> EResult {
    budget.tick()?;
    match e {
        Expr::Num { value, .. } => Ok(Val::Q(value.clone())),
        Expr::Percent(a) => div(
            eval(a, env, budget)?,
            Val::Q(BigRational::from_integer(100.into())),
            budget,
        ),
        Expr::Sym(name) => env
            .vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| Val::Q(v.clone()))
            .ok_or(EvalError::Undefined),
        Expr::Text(_) | Expr::Inf => Err(EvalError::Undefined),
        Expr::Pi => Ok(Val::F(float::pi().clone(), false)),
        Expr::E => Ok(Val::F(float::euler().clone(), false)),
        Expr::Add(v) => {
            let mut acc = Val::Q(BigRational::zero());
            for t in v {
                let x = eval(t, env, budget)?;
                acc = add(acc, x, budget)?;
            }
            Ok(acc)
        }
        Expr::Mul(v) => {
            let mut acc = Val::Q(BigRational::one());
            for t in v {
                let x = eval(t, env, budget)?;
                acc = mul(acc, x, budget)?;
            }
            Ok(acc)
        }
        Expr::Neg(a) => Ok(neg(eval(a, env, budget)?)),
        Expr::Div(a, b) => {
            let x = eval(a, env, budget)?;
            let y = eval(b, env, budget)?;
            div(x, y, budget)
        }
        Expr::Pow(a, b) => {
            let y = eval(b, env, budget)?;
            // e^x through the exponential.
            if matches!(**a, Expr::E) && !matches!(y, Val::Q(ref q) if q.is_integer()) {
                return lossy(y.to_f64().exp());
            }
            let x = eval(a, env, budget)?;
            pow(x, y, budget)
        }
        Expr::Func(..) if e.big_operator().is_some() => big_operator(e, env, budget),
        Expr::Func(name, args) => eval_func(name, args, env, budget),
        _ => Err(EvalError::Undefined),
    }
}

fn eval_func(name: &str, args: &[Expr], env: &Env<'_>, budget: &mut Budget) -> EResult {
    let arg = |i: usize, budget: &mut Budget| {
        args.get(i)
            .ok_or(EvalError::Undefined)
            .and_then(|a| eval(a, env, budget))
    };
    let f64_fn = |f: fn(f64) -> f64, budget: &mut Budget| {
        let x = arg(0, budget)?;
        lossy(f(x.to_f64()))
    };
    match name {
        "sqrt" => root(arg(0, budget)?, 2),
        "root" => {
            let n = arg(1, budget)?;
            let n = match n {
                Val::Q(q) => small_nonneg_int(&q, 64).ok_or(EvalError::Undefined)?,
                _ => return Err(EvalError::Undefined),
            };
            root(arg(0, budget)?, n as u32)
        }
        "abs" => {
            let x = arg(0, budget)?;
            Ok(if x.signum() < 0 { neg(x) } else { x })
        }
        "factorial" => match arg(0, budget)? {
            Val::Q(q) => factorial(small_nonneg_int(&q, u64::MAX).ok_or(EvalError::Undefined)?, budget),
            _ => Err(EvalError::Undefined),
        },
        "binom" => {
            let (n, k) = (arg(0, budget)?, arg(1, budget)?);
            let (Val::Q(n), Val::Q(k)) = (n, k) else {
                return Err(EvalError::Undefined);
            };
            let n = small_nonneg_int(&n, 1_000_000).ok_or(EvalError::Undefined)?;
            let k = small_nonneg_int(&k, 1_000_000).ok_or(EvalError::Undefined)?;
            if k > n {
                return Ok(Val::Q(BigRational::zero()));
            }
            let k = k.min(n - k);
            let mut acc = BigInt::one();
            for i in 0..k {
                budget.tick()?;
                acc = acc * (n - i) / (i + 1);
            }
            check_q(BigRational::from_integer(acc), budget)
        }
        "floor" | "ceil" => {
            let x = arg(0, budget)?.to_rational();
            Ok(Val::Q(if name == "floor" { x.floor() } else { x.ceil() }))
        }
        "sin" => f64_fn(f64::sin, budget),
        "cos" => f64_fn(f64::cos, budget),
        "tan" => f64_fn(f64::tan, budget),
        "cot" => f64_fn(|x| 1.0 / x.tan(), budget),
        "sec" => f64_fn(|x| 1.0 / x.cos(), budget),
        "csc" => f64_fn(|x| 1.0 / x.sin(), budget),
        "arcsin" => f64_fn(f64::asin, budget),
        "arccos" => f64_fn(f64::acos, budget),
        "arctan" => f64_fn(f64::atan, budget),
        "sinh" => f64_fn(f64::sinh, budget),
        "cosh" => f64_fn(f64::cosh, budget),
        "tanh" => f64_fn(f64::tanh, budget),
        "exp" => f64_fn(f64::exp, budget),
        "gamma" => Err(EvalError::Undefined),
        "ln" => {
            let x = arg(0, budget)?;
            if x.signum() <= 0 {
                return Err(EvalError::Undefined);
            }
            if matches!(&x, Val::Q(q) if q.is_one()) {
                return Ok(Val::Q(BigRational::zero()));
            }
            lossy(x.to_f64().ln())
        }
        "log" => {
            let x = arg(0, budget)?;
            if x.signum() <= 0 {
                return Err(EvalError::Undefined);
            }
            let base = if args.len() > 1 { arg(1, budget)?.to_f64() } else { 10.0 };
            // Exact when the result is an integer power: log_2 8 = 3.
            if let (Val::Q(q), Some(b)) = (&x, args.get(1))
                && let Ok(Val::Q(bq)) = eval(b, env, budget)
            {
                let mut p = BigRational::one();
                for k in 0..64i64 {
                    if &p == q {
                        return Ok(Val::Q(BigRational::from_integer(k.into())));
                    }
                    p *= &bq;
                    if p.numer().bits() > q.numer().bits() + 64 {
                        break;
                    }
                }
            }
            lossy(x.to_f64().ln() / base.ln())
        }
        "sum" | "prod" | "det" | "max" | "min" | "gcd" | "lcm" | "arg" | "deg" => Err(EvalError::Undefined),
        undefined => {
            // Undefined function f(x): a fixed pseudo-random polynomial in its arguments, so
            // f(x) matches f(x) but not f(y) or g(x).
            let mut acc = BigRational::from_integer(BigInt::from(hash(undefined, env.seed) % 7 + 1));
            for (i, a) in args.iter().enumerate() {
                let v = eval(a, env, budget)?.to_rational();
                let h = hash(&format!("{undefined}#{i}"), env.seed);
                acc += small_q(h) * &v + small_q(h >> 24) * &v * &v;
            }
            check_q(acc, budget)
        }
    }
}

/// Most terms a sum or product may expand to; more is over budget rather than slow.
const MAX_BIG_OPERATOR_TERMS: i64 = 10_000;

/// `\\sum_{k=a}^{b} body` or `\\prod`, term by term, with integer bounds.
fn big_operator(e: &Expr, env: &Env<'_>, budget: &mut Budget) -> EResult {
    let Some((index, start, end, body)) = e.big_operator() else {
        return Err(EvalError::Undefined);
    };
    let is_sum = matches!(e, Expr::Func(name, _) if name == "sum");
    let bound = |b: &Expr, budget: &mut Budget| -> Result<i64, EvalError> {
        match eval(b, env, budget)? {
            Val::Q(q) if q.is_integer() => q.to_integer().to_i64().ok_or(EvalError::Over(Over::Size)),
            _ => Err(EvalError::Undefined),
        }
    };
    let (first, last) = (bound(start, budget)?, bound(end, budget)?);
    if last.saturating_sub(first) >= MAX_BIG_OPERATOR_TERMS {
        return Err(EvalError::Over(Over::Size));
    }
    let mut vars: Vec<(String, BigRational)> = env.vars.iter().filter(|(n, _)| n != index).cloned().collect();
    vars.push((index.to_string(), BigRational::zero()));
    let mut acc = Val::Q(if is_sum {
        BigRational::zero()
    } else {
        BigRational::one()
    });
    for k in first..=last {
        if let Some(slot) = vars.last_mut() {
            slot.1 = BigRational::from_integer(k.into());
        }
        let inner = Env {
            vars: &vars,
            seed: env.seed,
        };
        let term = eval(body, &inner, budget)?;
        acc = if is_sum {
            add(acc, term, budget)?
        } else {
            mul(acc, term, budget)?
        };
    }
    Ok(acc)
}
