//! Recursive-descent parser for LaTeX and plain math into [`Expr`]. Works on the normalized
//! string directly (no token list) so `\frac12` and `\sqrt3` read single-character arguments.

use crate::budget::{Budget, Over};
use crate::expr::{Expr, RelOp};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

/// Why a string did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Not valid math for this parser.
    Syntax,
    /// A budget limit was hit.
    Over(Over),
}

impl From<Over> for ParseError {
    fn from(o: Over) -> Self {
        ParseError::Over(o)
    }
}

type PResult<T> = Result<T, ParseError>;

const FUNCTIONS: &[&str] = &[
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "ln", "log", "exp",
    "det", "gcd", "lcm", "max", "min", "Gamma", "arg", "deg",
];

/// Commands read as plain symbols; any other unknown command is a syntax error (as in latex2sympy).
const KNOWN_SYMBOLS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi",
    "omicron", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
    "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell", "hbar", "imath", "jmath", "partial", "nabla",
    "aleph", "angle", "triangle", "square", "circ",
];

const FUNCTION_LETTERS: &str = "fghFGHW";

/// Parses a normalized math string into an expression (a top-level comma list becomes a set).
pub fn parse_math(text: &str, budget: &mut Budget) -> PResult<Expr> {
    if text.len() > budget.limits.max_input {
        return Err(ParseError::Over(Over::Size));
    }
    let mut p = Parser {
        s: text.chars().collect(),
        i: 0,
        depth: 0,
        budget,
    };
    p.skip_ws();
    if p.at_end() {
        return Err(ParseError::Syntax);
    }
    let e = p.list(true)?;
    p.skip_ws();
    while p.eat('.') || p.eat(',') || p.eat(';') {
        p.skip_ws();
    }
    if !p.at_end() {
        return Err(ParseError::Syntax);
    }
    Ok(e)
}

struct Parser<'b> {
    s: Vec<char>,
    i: usize,
    depth: usize,
    budget: &'b mut Budget,
}

fn num(n: i64) -> Expr {
    Expr::int(n)
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == '\u{200b}' {
                self.i += 1;
            } else if c == '\\' && matches!(self.peek_at(1), Some(' ' | ',' | ';' | ':' | '!')) {
                self.i += 2;
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn starts_with(&self, lit: &str) -> bool {
        lit.chars().enumerate().all(|(k, c)| self.s.get(self.i + k) == Some(&c))
    }

    /// Peeks a `\command` name at the cursor (after whitespace) without consuming it.
    fn peek_command(&mut self) -> Option<String> {
        self.skip_ws();
        if self.peek() != Some('\\') {
            return None;
        }
        let mut k = self.i + 1;
        let mut name = String::new();
        while let Some(&c) = self.s.get(k) {
            if c.is_ascii_alphabetic() {
                name.push(c);
                k += 1;
            } else {
                break;
            }
        }
        if name.is_empty()
            && let Some(&c) = self.s.get(self.i + 1)
        {
            name.push(c);
        }
        Some(name)
    }

    fn eat_command(&mut self, name: &str) -> bool {
        if self.peek_command().as_deref() == Some(name) {
            self.i += 1 + name.chars().count();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.budget.limits.max_depth {
            return Err(ParseError::Over(Over::Depth));
        }
        self.budget.tick()?;
        Ok(())
    }

    fn list(&mut self, top: bool) -> PResult<Expr> {
        let first = self.relation()?;
        // Groups separated by `;` (top level only), items by `,`.
        let mut groups: Vec<Vec<Expr>> = vec![vec![first]];
        loop {
            self.skip_ws();
            let save = self.i;
            let semicolon = top && self.peek() == Some(';');
            if self.eat(',') || (top && self.eat(';')) {
                self.skip_ws();
                if self.at_end() || matches!(self.peek(), Some(')' | ']' | '}')) {
                    self.i = save;
                    break;
                }
                if semicolon {
                    groups.push(Vec::new());
                }
                let item = self.relation()?;
                if let Some(g) = groups.last_mut() {
                    g.push(item)
                }
            } else {
                break;
            }
        }
        let items: Vec<Expr> = if groups.len() > 1 && groups.iter().any(|g| g.len() > 1) {
            // `p=5,q=2; p=7,q=2`: each group is one solution tuple.
            groups.into_iter().map(group_tuple).collect()
        } else {
            groups.into_iter().flatten().collect()
        };
        let mut items = items;
        if items.len() == 1 {
            Ok(items.pop().unwrap_or(Expr::int(0)))
        } else {
            Ok(Expr::Set(items))
        }
    }

    fn rel_op(&mut self) -> Option<RelOp> {
        self.skip_ws();
        let two: String = self.s[self.i..].iter().take(2).collect();
        let op = match two.as_str() {
            "<=" | "=<" => Some((RelOp::Le, 2)),
            ">=" | "=>" => Some((RelOp::Ge, 2)),
            "!=" => Some((RelOp::Ne, 2)),
            "==" => Some((RelOp::Eq, 2)),
            _ => match self.peek() {
                Some('=') => Some((RelOp::Eq, 1)),
                Some('<') => Some((RelOp::Lt, 1)),
                Some('>') => Some((RelOp::Gt, 1)),
                Some('≤') => Some((RelOp::Le, 1)),
                Some('≥') => Some((RelOp::Ge, 1)),
                Some('≠') => Some((RelOp::Ne, 1)),
                _ => None,
            },
        };
        if let Some((op, len)) = op {
            self.i += len;
            return Some(op);
        }
        let cmd = self.peek_command()?;
        let op = match cmd.as_str() {
            "le" | "leq" | "leqslant" => RelOp::Le,
            "ge" | "geq" | "geqslant" => RelOp::Ge,
            "lt" => RelOp::Lt,
            "gt" => RelOp::Gt,
            "ne" | "neq" => RelOp::Ne,
            _ => return None,
        };
        self.i += 1 + cmd.len();
        Some(op)
    }

    fn relation(&mut self) -> PResult<Expr> {
        self.enter()?;
        let first = self.union()?;
        let mut rest: Vec<(RelOp, Expr)> = Vec::new();
        loop {
            if self.eat_command("in") {
                // `x \in S` means the set S.
                let set = self.union()?;
                self.depth -= 1;
                return Ok(set);
            }
            if self.eat_command("approx") || self.eat_command("sim") {
                let rhs = self.union()?;
                if rest.is_empty() && matches!(first, Expr::Sym(_)) {
                    rest.push((RelOp::Eq, rhs));
                    continue;
                }
                // An approximation after a value is a side remark: drop everything after it.
                while !self.at_end() && !matches!(self.peek(), Some(',' | ';' | ')' | ']' | '}' | '&')) {
                    self.i += 1;
                }
                break;
            }
            let save = self.i;
            match self.rel_op() {
                Some(op) => {
                    self.skip_ws();
                    if self.at_end() {
                        self.i = save;
                        break;
                    }
                    let rhs = self.union()?;
                    rest.push((op, rhs));
                }
                None => break,
            }
        }
        self.depth -= 1;
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Rel(Box::new(first), rest))
        }
    }

    fn union(&mut self) -> PResult<Expr> {
        let first = self.sum()?;
        let mut parts = vec![first];
        while self.eat_command("cup") || self.eat('∪') {
            parts.push(self.sum()?);
        }
        if parts.len() > 1 {
            // Inside a union, `(a, b)` is an open interval.
            for p in &mut parts {
                if let Expr::Tuple(v) = p
                    && v.len() == 2
                {
                    let hi = v.pop().unwrap_or(num(0));
                    let lo = v.pop().unwrap_or(num(0));
                    *p = Expr::Interval {
                        lo: Box::new(lo),
                        hi: Box::new(hi),
                        lo_open: true,
                        hi_open: true,
                    };
                }
            }
        }
        if parts.len() == 1 {
            Ok(parts.pop().unwrap_or(Expr::int(0)))
        } else {
            Ok(Expr::Union(parts))
        }
    }

    fn sum(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.skip_ws();
        let mut terms: Vec<Expr> = Vec::new();
        let mut pm: Option<Expr> = None;
        let mut sign_first = 1;
        if self.eat_command("pm") {
            let t = self.term()?;
            self.depth -= 1;
            return Ok(Expr::PlusMinus(Box::new(num(0)), Box::new(t)));
        }
        if self.eat('-') || self.eat('−') {
            sign_first = -1;
        } else {
            self.eat('+');
        }
        let t = self.term()?;
        terms.push(if sign_first < 0 { Expr::Neg(Box::new(t)) } else { t });
        loop {
            self.skip_ws();
            if self.peek() == Some('+') && self.peek_at(1) != Some('}') {
                self.i += 1;
                terms.push(self.term()?);
            } else if matches!(self.peek(), Some('-' | '−')) {
                self.i += 1;
                let t = self.term()?;
                terms.push(Expr::Neg(Box::new(t)));
            } else if self.eat_command("pm") || self.eat('±') || self.eat_command("mp") {
                let t = self.term()?;
                pm = Some(match pm {
                    None => t,
                    Some(prev) => Expr::Add(vec![prev, t]),
                });
            } else {
                break;
            }
        }
        self.depth -= 1;
        let base = if terms.len() == 1 {
            terms.pop().unwrap_or(num(0))
        } else {
            Expr::Add(terms)
        };
        Ok(match pm {
            Some(p) => Expr::PlusMinus(Box::new(base), Box::new(p)),
            None => base,
        })
    }

    fn starts_factor(&mut self) -> bool {
        self.skip_ws();
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c.is_alphabetic() || c == '(' || c == '{' || c == 'π' || c == '√' => {
                true
            }
            Some('.') => self.peek_at(1).is_some_and(|c| c.is_ascii_digit()),
            Some('\\') => {
                let cmd = self.peek_command().unwrap_or_default();
                !matches!(
                    cmd.as_str(),
                    "cdot"
                        | "times"
                        | "div"
                        | "pm"
                        | "mp"
                        | "le"
                        | "leq"
                        | "ge"
                        | "geq"
                        | "lt"
                        | "gt"
                        | "ne"
                        | "neq"
                        | "approx"
                        | "sim"
                        | "in"
                        | "cup"
                        | "cap"
                        | "to"
                        | "rightarrow"
                        | "Rightarrow"
                        | "implies"
                        | "iff"
                        | "end"
                        | "right"
                        | "\\"
                        | "}"
                        | "%"
                        | "leqslant"
                        | "geqslant"
                        | "setminus"
                        | "mid"
                        | "colon"
                        | "rfloor"
                        | "rceil"
                        | "qquad"
                        | "quad"
                        | "land"
                        | "lor"
                        | "wedge"
                        | "vee"
                        | "rangle"
                        | "vert"
                ) && !cmd.is_empty()
            }
            _ => false,
        }
    }

    fn term(&mut self) -> PResult<Expr> {
        self.enter()?;
        let mut acc = self.unary()?;
        loop {
            self.skip_ws();
            if self.eat('*') || self.eat('×') || self.eat('·') || self.eat_command("cdot") || self.eat_command("times")
            {
                self.eat('*');
                let rhs = self.unary()?;
                acc = mul(acc, rhs);
            } else if self.eat('/') || self.eat('÷') || self.eat(':') || self.eat_command("div") {
                let rhs = self.unary()?;
                acc = Expr::Div(Box::new(acc), Box::new(rhs));
            } else if self.starts_factor() {
                let rhs = self.power()?;
                acc = mul(acc, rhs);
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(acc)
    }

    fn unary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let out = if self.eat('-') || self.eat('−') {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.eat('+') {
            self.unary()?
        } else {
            self.power()?
        };
        self.depth -= 1;
        Ok(out)
    }

    fn power(&mut self) -> PResult<Expr> {
        self.enter()?;
        let base = self.postfix()?;
        self.skip_ws();
        let out = if self.peek() == Some('^') || (self.peek() == Some('*') && self.peek_at(1) == Some('*')) {
            self.i += if self.peek() == Some('^') { 1 } else { 2 };
            self.skip_ws();
            if self.is_degree() {
                base
            } else {
                let exp = self.script_argument(true)?;
                let exp = self.postfix_ops(exp)?;
                Expr::Pow(Box::new(base), Box::new(exp))
            }
        } else {
            base
        };
        self.depth -= 1;
        Ok(out)
    }

    /// `^\circ` or `^{\circ}`: consumed and ignored (degrees are dropped like Math-Verify).
    fn is_degree(&mut self) -> bool {
        let save = self.i;
        let braced = self.eat('{');
        if self.eat_command("circ") && (!braced || self.eat('}')) {
            return true;
        }
        self.i = save;
        false
    }

    /// Argument of `^`/`_`/`\frac`: a braced group, a single digit/letter, or a command primary.
    fn script_argument(&mut self, allow_signed: bool) -> PResult<Expr> {
        self.skip_ws();
        match self.peek() {
            Some('{') => {
                self.i += 1;
                let e = self.list(false)?;
                if !self.eat('}') {
                    return Err(ParseError::Syntax);
                }
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() => {
                self.i += 1;
                Ok(num(i64::from(c.to_digit(10).unwrap_or(0))))
            }
            Some('-') if allow_signed => {
                self.i += 1;
                Ok(Expr::Neg(Box::new(self.script_argument(false)?)))
            }
            Some(c) if c.is_alphabetic() => {
                self.i += 1;
                Ok(letter(c))
            }
            Some('(') | Some('\\') => self.postfix(),
            _ => Err(ParseError::Syntax),
        }
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let p = self.primary()?;
        self.postfix_ops(p)
    }

    fn postfix_ops(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            self.skip_ws();
            match self.peek() {
                Some('!') if self.peek_at(1) != Some('=') => {
                    self.i += 1;
                    e = Expr::Func("factorial".into(), vec![e]);
                }
                Some('%') => {
                    self.i += 1;
                    e = Expr::Percent(Box::new(e));
                }
                Some('°') => self.i += 1,
                Some('\\') if self.peek_at(1) == Some('%') => {
                    self.i += 2;
                    e = Expr::Percent(Box::new(e));
                }
                Some('\\') if self.starts_with("\\circ") => self.i += 5,
                _ => break,
            }
        }
        Ok(e)
    }

    fn number(&mut self) -> PResult<Expr> {
        let start = self.i;
        let mut digits = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                digits.push(c);
                self.i += 1;
            } else {
                break;
            }
        }
        // Thousands separators: 1,234,567 (groups of exactly three digits).
        let before = self.s[..start].iter().rev().find(|c| !c.is_whitespace()).copied();
        let in_brackets = matches!(before, Some('(' | '[' | ','));
        if !digits.is_empty() && digits.len() <= 3 && !digits.starts_with('0') && !in_brackets {
            loop {
                let group: Vec<char> = self.s.iter().skip(self.i).take(5).copied().collect();
                let is_group = group.len() >= 4
                    && group[0] == ','
                    && group[1..4].iter().all(char::is_ascii_digit)
                    && group.get(4).is_none_or(|c| !c.is_ascii_digit());
                if !is_group {
                    break;
                }
                digits.extend(&group[1..4]);
                self.i += 4;
            }
        }
        let mut frac = String::new();
        let mut float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            float = true;
            while let Some(c) = self.peek() {
                if c.is_ascii_digit() {
                    frac.push(c);
                    self.i += 1;
                } else {
                    break;
                }
            }
        }
        if digits.is_empty() && frac.is_empty() {
            self.i = start;
            return Err(ParseError::Syntax);
        }
        self.budget.check_bits((digits.len() + frac.len()) as u64 * 4)?;
        let int_part: BigInt = if digits.is_empty() {
            BigInt::zero()
        } else {
            digits.parse().map_err(|_| ParseError::Syntax)?
        };
        let mut value = BigRational::from_integer(int_part);
        if !frac.is_empty() {
            let f: BigInt = frac.parse().map_err(|_| ParseError::Syntax)?;
            let scale = num_traits::pow(BigInt::from(10), frac.len());
            value += BigRational::new(f, scale.clone());
            // Repeating decimal: 0.1\overline{6}.
            if self.starts_with("\\overline{") {
                let save = self.i;
                self.i += "\\overline{".len();
                let mut rep = String::new();
                while let Some(c) = self.peek().filter(char::is_ascii_digit) {
                    rep.push(c);
                    self.i += 1;
                }
                if !rep.is_empty() && self.eat('}') {
                    let r: BigInt = rep.parse().map_err(|_| ParseError::Syntax)?;
                    let period = num_traits::pow(BigInt::from(10), rep.len()) - BigInt::one();
                    value += BigRational::new(r, period * scale);
                    float = false;
                } else {
                    self.i = save;
                }
            }
        }
        let e = Expr::Num { value, float };
        // Base-n numerals like 204_5: latex2sympy drops the base subscript, and so do we.
        if self.peek() == Some('_') {
            self.i += 1;
            self.subscript_text()?;
        }
        Ok(e)
    }

    fn subscript_text(&mut self) -> PResult<String> {
        self.skip_ws();
        if self.eat('{') {
            let mut depth = 1;
            let mut out = String::new();
            while let Some(c) = self.peek() {
                self.i += 1;
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(out);
                        }
                    }
                    c if c.is_whitespace() => continue,
                    _ => {}
                }
                out.push(c);
            }
            Err(ParseError::Syntax)
        } else if let Some(c) = self.peek() {
            if c == '\\' {
                let cmd = self.peek_command().unwrap_or_default();
                self.i += 1 + cmd.len();
                return Ok(cmd);
            }
            self.i += 1;
            Ok(c.to_string())
        } else {
            Err(ParseError::Syntax)
        }
    }

    fn group_until(&mut self, close: char) -> PResult<Expr> {
        let e = self.list(false)?;
        if !self.eat(close) {
            return Err(ParseError::Syntax);
        }
        Ok(e)
    }

    fn braced(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if self.eat('{') {
            self.group_until('}')
        } else {
            self.script_argument(false)
        }
    }

    fn raw_braced(&mut self) -> PResult<String> {
        self.skip_ws();
        if !self.eat('{') {
            return Err(ParseError::Syntax);
        }
        let mut depth = 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == '{' {
                depth += 1;
            } else if c == '}' {
                depth -= 1;
                if depth == 0 {
                    return Ok(out);
                }
            }
            out.push(c);
        }
        Err(ParseError::Syntax)
    }

    /// `(`/`[` groups: a parenthesised expression, a tuple, or an interval.
    fn bracketed(&mut self, open: char) -> PResult<Expr> {
        let mut items = vec![self.relation()?];
        while self.eat(',') || self.eat(';') {
            items.push(self.relation()?);
        }
        self.skip_ws();
        let close = match self.peek() {
            Some(c @ (')' | ']')) => c,
            _ => return Err(ParseError::Syntax),
        };
        self.i += 1;
        if items.len() == 2 && (open == '[' || close == ']') {
            let hi = items.pop().unwrap_or(num(0));
            let lo = items.pop().unwrap_or(num(0));
            return Ok(Expr::Interval {
                lo: Box::new(lo),
                hi: Box::new(hi),
                lo_open: open == '(',
                hi_open: close == ')',
            });
        }
        if items.len() == 1 {
            return Ok(items.pop().unwrap_or(num(0)));
        }
        Ok(Expr::Tuple(items))
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.skip_ws();
        let c = self.peek().ok_or(ParseError::Syntax)?;
        let out = match c {
            '0'..='9' | '.' => self.number()?,
            '(' => {
                self.i += 1;
                self.bracketed('(')?
            }
            '[' => {
                self.i += 1;
                self.bracketed('[')?
            }
            '{' => {
                self.i += 1;
                let e = self.list(false)?;
                if !self.eat('}') {
                    return Err(ParseError::Syntax);
                }
                e
            }
            '|' => {
                self.i += 1;
                let e = self.sum()?;
                if !self.eat('|') {
                    return Err(ParseError::Syntax);
                }
                Expr::Func("abs".into(), vec![e])
            }
            'π' => {
                self.i += 1;
                Expr::Pi
            }
            '∞' => {
                self.i += 1;
                Expr::Inf
            }
            '√' => {
                self.i += 1;
                let arg = self.script_argument(false)?;
                Expr::Func("sqrt".into(), vec![arg])
            }
            '\\' => self.command()?,
            c if c.is_alphabetic() => {
                self.i += 1;
                self.letter_primary(c)?
            }
            _ => return Err(ParseError::Syntax),
        };
        self.depth -= 1;
        Ok(out)
    }

    fn letter_primary(&mut self, c: char) -> PResult<Expr> {
        // Multi-letter function names written without a backslash (plain text input).
        let word: String = std::iter::once(c)
            .chain(self.s[self.i..].iter().copied().take_while(|c| c.is_ascii_alphabetic()))
            .collect();
        for name in ["sqrt", "sin", "cos", "tan", "ln", "log", "exp"] {
            if word == name && self.s.get(self.i + name.len() - 1) == Some(&'(') {
                self.i += name.len() - 1;
                let arg = self.postfix()?;
                let f = if name == "sqrt" { "sqrt" } else { name };
                return Ok(Expr::Func(f.into(), vec![arg]));
            }
        }
        let mut name = c.to_string();
        let mut subscripted = false;
        if self.peek() == Some('_') {
            self.i += 1;
            let sub = self.subscript_text()?;
            name = format!("{name}_{sub}");
            subscripted = true;
        }
        while self.peek() == Some('\'') {
            self.i += 1;
            name.push('\'');
        }
        if self.peek() == Some('(') && (FUNCTION_LETTERS.contains(c) || subscripted || name.ends_with('\'')) {
            self.i += 1;
            let mut args = vec![self.relation()?];
            while self.eat(',') {
                args.push(self.relation()?);
            }
            if !self.eat(')') {
                return Err(ParseError::Syntax);
            }
            return Ok(Expr::Func(name, args));
        }
        if name == "e" { Ok(Expr::E) } else { Ok(Expr::Sym(name)) }
    }

    fn command(&mut self) -> PResult<Expr> {
        let cmd = self.peek_command().ok_or(ParseError::Syntax)?;
        self.i += 1 + cmd.chars().count();
        match cmd.as_str() {
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let n = self.braced()?;
                let d = self.braced()?;
                Ok(Expr::Div(Box::new(n), Box::new(d)))
            }
            "sqrt" => {
                self.skip_ws();
                if self.eat('[') {
                    let idx = self.sum()?;
                    if !self.eat(']') {
                        return Err(ParseError::Syntax);
                    }
                    let arg = self.braced()?;
                    Ok(Expr::Func("root".into(), vec![arg, idx]))
                } else {
                    let arg = self.braced()?;
                    Ok(Expr::Func("sqrt".into(), vec![arg]))
                }
            }
            "binom" | "dbinom" | "tbinom" | "choose" => {
                let n = self.braced()?;
                let k = self.braced()?;
                Ok(Expr::Func("binom".into(), vec![n, k]))
            }
            "pi" => Ok(Expr::Pi),
            "infty" | "infin" => Ok(Expr::Inf),
            "emptyset" | "varnothing" => Ok(Expr::Set(vec![])),
            "{" => {
                self.skip_ws();
                if self.starts_with("\\}") {
                    self.i += 2;
                    return Ok(Expr::Set(vec![]));
                }
                let mut items = vec![self.relation()?];
                while self.eat(',') || self.eat(';') {
                    items.push(self.relation()?);
                }
                self.skip_ws();
                if !self.starts_with("\\}") {
                    return Err(ParseError::Syntax);
                }
                self.i += 2;
                Ok(Expr::Set(items))
            }
            "text" | "textbf" | "mbox" | "mathrm" | "textit" | "operatorname" => {
                let raw = self.raw_braced()?;
                let t = raw
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .trim()
                    .to_string();
                if let Some(f) = FUNCTIONS.iter().find(|f| **f == t) {
                    return self.function(f);
                }
                if t.is_empty() {
                    return Err(ParseError::Syntax);
                }
                Ok(Expr::Text(t))
            }
            "boxed" | "fbox" | "mathbf" | "mathit" | "overline" | "bar" | "vec" | "hat" | "widehat"
            | "overrightarrow" | "displaystyle" | "mathbb" | "mathcal" => {
                let inner = self.braced()?;
                if cmd == "mathbb" {
                    return Ok(Expr::Sym(format!("\\mathbb{{{inner}}}")));
                }
                Ok(inner)
            }
            "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "limits" => self.primary(),
            "lfloor" | "lceil" => {
                let e = self.sum()?;
                let close = if cmd == "lfloor" { "rfloor" } else { "rceil" };
                if !self.eat_command(close) {
                    return Err(ParseError::Syntax);
                }
                Ok(Expr::Func(
                    if cmd == "lfloor" { "floor" } else { "ceil" }.into(),
                    vec![e],
                ))
            }
            "lvert" | "vert" | "|" => {
                let e = self.sum()?;
                if !(self.eat_command("rvert") || self.eat_command("vert") || self.eat_command("|")) {
                    return Err(ParseError::Syntax);
                }
                Ok(Expr::Func("abs".into(), vec![e]))
            }
            "begin" => self.environment(),
            "sum" | "prod" => self.big_operator(&cmd),
            name if FUNCTIONS.contains(&name) => self.function(name),
            name if KNOWN_SYMBOLS.contains(&name)
                || (name.starts_with("var") && KNOWN_SYMBOLS.contains(&&name[3..])) =>
            {
                let mut sym = format!("\\{name}");
                if self.peek() == Some('_') {
                    self.i += 1;
                    let sub = self.subscript_text()?;
                    sym = format!("{sym}_{sub}");
                }
                if name == "Gamma"
                    || (self.peek() == Some('(') && name.len() > 1 && name.starts_with(char::is_uppercase))
                {
                    return self.function(name);
                }
                Ok(Expr::Sym(sym))
            }
            _ => Err(ParseError::Syntax),
        }
    }

    fn function(&mut self, name: &str) -> PResult<Expr> {
        self.skip_ws();
        let mut power: Option<Expr> = None;
        let mut base: Option<Expr> = None;
        for _ in 0..2 {
            if self.peek() == Some('^') {
                self.i += 1;
                power = Some(self.script_argument(true)?);
            } else if self.peek() == Some('_') {
                self.i += 1;
                base = Some(self.script_argument(false)?);
            }
            self.skip_ws();
        }
        let arg = if self.peek() == Some('(') {
            self.i += 1;
            let mut args = vec![self.relation()?];
            while self.eat(',') {
                args.push(self.relation()?);
            }
            if !self.eat(')') {
                return Err(ParseError::Syntax);
            }
            args
        } else if self.peek() == Some('{') {
            vec![self.braced()?]
        } else {
            vec![self.power()?]
        };
        let mut args = arg;
        let fname = match (name, &base) {
            ("log", Some(b)) => {
                args.push(b.clone());
                "log".to_string()
            }
            ("Gamma", _) => "gamma".to_string(),
            _ => name.to_string(),
        };
        let f = Expr::Func(fname, args);
        Ok(match power {
            Some(p) => Expr::Pow(Box::new(f), Box::new(p)),
            None => f,
        })
    }

    fn big_operator(&mut self, name: &str) -> PResult<Expr> {
        let mut lower = Expr::Sym(String::new());
        let mut upper = Expr::Sym(String::new());
        for _ in 0..2 {
            self.skip_ws();
            if self.peek() == Some('_') {
                self.i += 1;
                lower = self.script_argument(false)?;
            } else if self.peek() == Some('^') {
                self.i += 1;
                upper = self.script_argument(false)?;
            }
        }
        let body = self.term()?;
        Ok(Expr::Func(name.into(), vec![lower, upper, body]))
    }

    fn environment(&mut self) -> PResult<Expr> {
        let env = self.raw_braced()?;
        let is_matrix = env.ends_with("matrix") || env == "array";
        if !is_matrix {
            return Err(ParseError::Syntax);
        }
        if env == "array" {
            self.raw_braced()?;
        }
        let mut rows: Vec<Vec<Expr>> = Vec::new();
        let mut row: Vec<Expr> = Vec::new();
        loop {
            self.skip_ws();
            if self.starts_with("\\end") {
                self.i += 4;
                self.raw_braced()?;
                if !row.is_empty() {
                    rows.push(row);
                }
                break;
            }
            if self.starts_with("\\\\") {
                self.i += 2;
                rows.push(std::mem::take(&mut row));
                continue;
            }
            row.push(self.relation()?);
            self.skip_ws();
            if self.peek() == Some('&') {
                self.i += 1;
            }
            self.budget.check_bits((rows.len() * 16) as u64)?;
        }
        rows.retain(|r| !r.is_empty());
        if rows.is_empty() || rows.iter().any(|r| r.len() != rows[0].len()) {
            return Err(ParseError::Syntax);
        }
        let m = Expr::Matrix(rows);
        Ok(if env == "vmatrix" {
            Expr::Func("det".into(), vec![m])
        } else {
            m
        })
    }
}

/// A `;`-separated group: assignments contribute their values, in order.
fn group_tuple(group: Vec<Expr>) -> Expr {
    if group.len() == 1 {
        return group.into_iter().next().unwrap_or(Expr::int(0));
    }
    Expr::Tuple(
        group
            .into_iter()
            .map(|e| match e {
                Expr::Rel(_, mut rest) if rest.len() == 1 && rest[0].0 == RelOp::Eq => {
                    rest.pop().map(|r| r.1).unwrap_or(Expr::int(0))
                }
                other => other,
            })
            .collect(),
    )
}

fn letter(c: char) -> Expr {
    if c == 'e' { Expr::E } else { Expr::Sym(c.to_string()) }
}

/// Implicit/explicit product; text factors next to math are unit noise and are dropped.
fn mul(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Text(_), b) if !matches!(b, Expr::Text(_)) => b,
        (a, Expr::Text(_)) if !matches!(a, Expr::Text(_)) => a,
        // Mixed number: 2\frac{1}{2}.
        (Expr::Num { value, float: false }, Expr::Div(n, d))
            if matches!(
                (&*n, &*d),
                (Expr::Num { float: false, .. }, Expr::Num { float: false, .. })
            ) =>
        {
            Expr::Add(vec![Expr::Num { value, float: false }, Expr::Div(n, d)])
        }
        (Expr::Mul(mut v), b) => {
            v.push(b);
            Expr::Mul(v)
        }
        (a, b) => Expr::Mul(vec![a, b]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Limits;

    fn p(s: &str) -> String {
        let mut b = Budget::start(Limits::default());
        parse_math(s, &mut b)
            .map(|e| e.canonical())
            .unwrap_or_else(|e| format!("{e:?}"))
    }

    #[test]
    fn parses_common_forms() {
        assert_eq!(p(r"\frac12"), "(1)/(2)");
        assert_eq!(p("7,425,000"), "7425000");
        assert_eq!(p(r"[0,1)"), "[0,1)");
        assert_eq!(p(r"x \geq 5"), "x>=5");
        assert_eq!(p(r"\sqrt3"), "sqrt[3]");
        assert_eq!(p("-2,1"), "{-(1),1}".replace("-(1)", "-(2)"));
        assert!(p(r"\frac{1}{").contains("Syntax"));
    }
}
