//! A small binary big-float (mantissa × 2^exponent) used for irrational values.
//! Hand-written because the permissive crates with these ops (astro-float) are not in the
//! workspace; only the few operations radicals and π need are implemented at full precision.

use num_bigint::{BigInt, Sign};
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use std::sync::OnceLock;

/// Working precision in bits.
pub const PREC: u64 = 320;

/// value = mant · 2^exp, with at most `PREC` significant bits.
#[derive(Debug, Clone, PartialEq)]
pub struct BigFloat {
    mant: BigInt,
    exp: i64,
}

impl BigFloat {
    fn normalized(mant: BigInt, exp: i64) -> BigFloat {
        let bits = mant.bits();
        if bits > PREC {
            let shift = bits - PREC;
            BigFloat {
                mant: mant >> shift,
                exp: exp + shift as i64,
            }
        } else {
            BigFloat { mant, exp }
        }
    }

    /// The nearest float to an exact rational.
    pub fn from_rational(q: &BigRational) -> BigFloat {
        let (n, d) = (q.numer(), q.denom());
        let shift = PREC as i64 + d.bits() as i64 - n.bits() as i64 + 2;
        let mant = if shift >= 0 {
            (n << shift as u64) / d
        } else {
            n / (d << (-shift) as u64)
        };
        BigFloat::normalized(mant, -shift)
    }

    /// Converts from an `f64` (exactly).
    pub fn from_f64(x: f64) -> Option<BigFloat> {
        let q = BigRational::from_float(x)?;
        Some(BigFloat::from_rational(&q))
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// Sign as -1, 0, 1.
    pub fn signum(&self) -> i32 {
        match self.mant.sign() {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        }
    }

    /// Base-2 magnitude (position of the top bit), for scale estimates.
    pub fn magnitude(&self) -> i64 {
        self.exp + self.mant.bits() as i64
    }

    /// Negation.
    pub fn neg(&self) -> BigFloat {
        BigFloat {
            mant: -&self.mant,
            exp: self.exp,
        }
    }

    /// Sum.
    pub fn add(&self, other: &BigFloat) -> BigFloat {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        let (hi, lo) = if self.exp >= other.exp {
            (self, other)
        } else {
            (other, self)
        };
        let gap = hi.exp - lo.exp;
        if hi.magnitude() - lo.magnitude() > PREC as i64 + 8 {
            return hi.clone();
        }
        BigFloat::normalized((&hi.mant << gap as u64) + &lo.mant, lo.exp)
    }

    /// Difference.
    pub fn sub(&self, other: &BigFloat) -> BigFloat {
        self.add(&other.neg())
    }

    /// Product.
    pub fn mul(&self, other: &BigFloat) -> BigFloat {
        BigFloat::normalized(&self.mant * &other.mant, self.exp + other.exp)
    }

    /// Quotient; `None` on division by zero.
    pub fn div(&self, other: &BigFloat) -> Option<BigFloat> {
        if other.is_zero() {
            return None;
        }
        let shift = PREC as i64 + other.mant.bits() as i64 - self.mant.bits() as i64 + 2;
        let shift = shift.max(0) as u64;
        Some(BigFloat::normalized(
            (&self.mant << shift) / &other.mant,
            self.exp - other.exp - shift as i64,
        ))
    }

    /// n-th root of a non-negative value.
    pub fn root(&self, n: u32) -> Option<BigFloat> {
        if self.signum() < 0 || n == 0 {
            return None;
        }
        if self.is_zero() {
            return Some(self.clone());
        }
        // Scale so the exponent is a multiple of n and the mantissa has n·PREC bits.
        let target = (PREC as i64 + 4) * n as i64 - self.mant.bits() as i64;
        let mut shift = target.max(0);
        let mut exp = self.exp - shift;
        let r = exp.rem_euclid(n as i64);
        shift += r;
        exp -= r;
        let m = &self.mant << shift as u64;
        Some(BigFloat::normalized(m.nth_root(n), exp / n as i64))
    }

    /// Conversion to f64 (may be infinite or zero for extreme exponents).
    pub fn to_f64(&self) -> f64 {
        let bits = self.mant.bits() as i64;
        let shift = (bits - 60).max(0);
        let top = (&self.mant >> shift as u64).to_f64().unwrap_or(0.0);
        let e = self.exp + shift;
        let e = e.clamp(-4000, 4000) as i32;
        top * 2f64.powi(e.clamp(-1074, 1023)) * 2f64.powi((e - e.clamp(-1074, 1023)).clamp(-1074, 1023))
    }

    /// Exact rational value of this float.
    pub fn to_rational(&self) -> BigRational {
        if self.exp >= 0 {
            BigRational::from_integer(&self.mant << self.exp as u64)
        } else {
            BigRational::new(self.mant.clone(), BigInt::from(1) << (-self.exp) as u64)
        }
    }

    /// True when |self − other| ≤ 2^-`bits` · max(|self|, |other|).
    pub fn close(&self, other: &BigFloat, bits: u64) -> bool {
        let diff = self.sub(other);
        if diff.is_zero() {
            return true;
        }
        let scale = self.magnitude().max(other.magnitude());
        if self.is_zero() || other.is_zero() {
            return false;
        }
        diff.magnitude() <= scale - bits as i64
    }
}

/// π to working precision (Machin's formula on fixed-point integers).
pub fn pi() -> &'static BigFloat {
    static PI: OnceLock<BigFloat> = OnceLock::new();
    PI.get_or_init(|| {
        let bits = PREC + 32;
        let one = BigInt::from(1) << bits;
        let arctan_inv = |x: u64| {
            let x2 = BigInt::from(x * x);
            let mut term = &one / BigInt::from(x);
            let mut sum = term.clone();
            let mut k = 1u64;
            while !term.is_zero() {
                term /= &x2;
                let t = &term / BigInt::from(2 * k + 1);
                if k % 2 == 1 {
                    sum -= t;
                } else {
                    sum += t;
                }
                k += 1;
            }
            sum
        };
        let value = arctan_inv(5) * 16 - arctan_inv(239) * 4;
        BigFloat::normalized(value, -(bits as i64))
    })
}

/// Euler's number to working precision (Σ 1/k!).
pub fn euler() -> &'static BigFloat {
    static E: OnceLock<BigFloat> = OnceLock::new();
    E.get_or_init(|| {
        let bits = PREC + 32;
        let mut term = BigInt::from(1) << bits;
        let mut sum = term.clone();
        let mut k = 1u64;
        while !term.is_zero() {
            term /= BigInt::from(k);
            sum += &term;
            k += 1;
        }
        BigFloat::normalized(sum, -(bits as i64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_two_squared_is_two() {
        let two = BigFloat::from_rational(&BigRational::from_integer(2.into()));
        let r = two.root(2).unwrap();
        assert!(r.mul(&r).close(&two, 300));
        assert!(!r.mul(&r).close(
            &BigFloat::from_rational(&BigRational::new(200001.into(), 100000.into())),
            300
        ));
    }

    #[test]
    fn pi_matches_f64() {
        assert!((pi().to_f64() - std::f64::consts::PI).abs() < 1e-15);
        assert!((euler().to_f64() - std::f64::consts::E).abs() < 1e-15);
    }
}
