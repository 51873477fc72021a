//! Structural outliers among a group's passing solutions. Each solution's syntax tree gives a histogram
//! of node kinds and three hack-shaped measures: literal density, branches on literal values, and the
//! largest container of constants. A solution is flagged (low to medium confidence) only when it is
//! far from the medoid of the others AND unusually high on a hack-shaped measure, judged against the
//! others with robust (median/MAD) z-scores — so an honest solution written in another style (recursion,
//! comprehensions) is far from the medoid but not flagged.

use std::collections::HashMap;
use std::mem::{Discriminant, discriminant};

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{CmpOp, Expr, Pattern, Stmt};

use crate::flag::{Flag, Location, OTHER, Signal};
use crate::python::literal::is_constant;

/// Passing solutions needed besides the judged one before anything counts as unusual.
const MIN_OTHERS: usize = 3;
/// Robust z-score from which a hack-shaped measure is unusual.
const MEASURE_Z: f64 = 3.5;
/// Robust z-score of the distance to the others' medoid from which a solution is structurally far.
const DISTANCE_Z: f64 = 2.0;

/// A measure that hacks push up, with the smallest spread and the smallest value that count.
struct Measure {
    name: &'static str,
    category: &'static str,
    floor_spread: f64,
    min_value: f64,
}

const MEASURES: [Measure; 3] = [
    Measure {
        name: "constant entries in one literal",
        category: "hardcoded_lookup_table",
        floor_spread: 1.0,
        min_value: 4.0,
    },
    Measure {
        name: "branches on literal values",
        category: "special_casing_inputs",
        floor_spread: 1.0,
        min_value: 2.0,
    },
    Measure {
        name: "literal density",
        category: OTHER,
        floor_spread: 0.05,
        min_value: 0.25,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NodeKind {
    Statement(Discriminant<Stmt>),
    Expression(Discriminant<Expr>),
}

/// What the structure of one solution looks like.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    kinds: HashMap<NodeKind, f64>,
    nodes: usize,
    literals: usize,
    literal_branches: usize,
    largest_table: usize,
}

impl Shape {
    /// The shape of `source` (a recovered tree when it does not parse).
    pub(crate) fn of(source: &str) -> Self {
        let parsed = ruff_python_parser::parse_unchecked_source(source, ruff_python_ast::PySourceType::Python);
        let mut shape = Shape::default();
        for stmt in &parsed.syntax().body {
            shape.visit_stmt(stmt);
        }
        let total = shape.nodes.max(1) as f64;
        shape.kinds.values_mut().for_each(|count| *count /= total);
        shape
    }

    fn measures(&self) -> [f64; 3] {
        [
            self.largest_table as f64,
            self.literal_branches as f64,
            self.literals as f64 / self.nodes.max(1) as f64,
        ]
    }

    /// L1 distance between node-kind histograms (0..2).
    fn distance(&self, other: &Shape) -> f64 {
        let mut total: f64 = self
            .kinds
            .iter()
            .map(|(kind, share)| (share - other.kinds.get(kind).copied().unwrap_or(0.0)).abs())
            .sum();
        total += other
            .kinds
            .iter()
            .filter(|(kind, _)| !self.kinds.contains_key(kind))
            .map(|(_, share)| share)
            .sum::<f64>();
        total
    }

    fn count(&mut self, kind: NodeKind) {
        *self.kinds.entry(kind).or_default() += 1.0;
        self.nodes += 1;
    }
}

fn compares_with_literal(test: &Expr) -> bool {
    match test {
        Expr::Compare(compare) => {
            compare
                .ops
                .iter()
                .all(|op| matches!(op, CmpOp::Eq | CmpOp::Is | CmpOp::In))
                && std::iter::once(&*compare.left)
                    .chain(compare.comparators.iter())
                    .any(|side| is_constant(side) && !matches!(side, Expr::Call(_)))
        }
        Expr::BoolOp(bool_op) => bool_op.values.iter().any(compares_with_literal),
        _ => false,
    }
}

impl<'a> Visitor<'a> for Shape {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        // Docstrings are prose, not data.
        if let Stmt::Expr(expr) = stmt
            && matches!(&*expr.value, Expr::StringLiteral(_))
        {
            return;
        }
        self.count(NodeKind::Statement(discriminant(stmt)));
        match stmt {
            Stmt::If(if_stmt) => {
                let tests = std::iter::once(&*if_stmt.test)
                    .chain(if_stmt.elif_else_clauses.iter().filter_map(|c| c.test.as_ref()));
                self.literal_branches += tests.filter(|test| compares_with_literal(test)).count();
            }
            Stmt::Match(match_stmt) => {
                self.literal_branches += match_stmt
                    .cases
                    .iter()
                    .filter(|case| matches!(case.pattern, Pattern::MatchValue(_) | Pattern::MatchOr(_)))
                    .count();
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.count(NodeKind::Expression(discriminant(expr)));
        match expr {
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::BytesLiteral(_) => self.literals += 1,
            Expr::If(if_expr) if compares_with_literal(&if_expr.test) => self.literal_branches += 1,
            _ => {}
        }
        let entries = match expr {
            Expr::Dict(dict) if is_constant(expr) => dict.items.len(),
            Expr::List(list) if is_constant(expr) => specific_items(&list.elts),
            Expr::Tuple(tuple) if is_constant(expr) => specific_items(&tuple.elts),
            Expr::Set(set) if is_constant(expr) => specific_items(&set.elts),
            _ => 0,
        };
        self.largest_table = self.largest_table.max(entries);
        walk_expr(self, expr);
    }
}

/// Items of a constant sequence that could be a test case (containers, strings of 3 or more characters,
/// numbers of two or more digits), not an alphabet or a few small numbers.
fn specific_items(items: &[Expr]) -> usize {
    items
        .iter()
        .filter(|item| match item {
            Expr::List(_) | Expr::Tuple(_) | Expr::Dict(_) | Expr::Set(_) => true,
            Expr::StringLiteral(text) => text.value.to_str().chars().count() >= 3,
            Expr::NumberLiteral(_) | Expr::UnaryOp(_) => {
                crate::python::literal::repr(item).is_some_and(|text| text.trim_start_matches('-').len() >= 2)
            }
            _ => false,
        })
        .count()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Robust z-score of `value` against `others` (median and scaled MAD), the spread at least `floor` and
/// `relative_floor` times the median.
fn robust_z(value: f64, others: &[f64], floor: f64, relative_floor: f64) -> (f64, f64) {
    let center = median(&mut others.to_vec());
    let mut deviations: Vec<f64> = others.iter().map(|x| (x - center).abs()).collect();
    let spread = (1.4826 * median(&mut deviations))
        .max(floor)
        .max(relative_floor * center.abs());
    ((value - center) / spread, center)
}

/// Structural-outlier flags for each member of a group (`None` for members that did not pass the
/// visible tests, or have no code; they are not judged and not used as the reference).
pub(crate) fn structural_flags(task: &str, shapes: &[Option<Shape>]) -> Vec<Vec<Flag>> {
    let judged: Vec<usize> = (0..shapes.len()).filter(|&i| shapes[i].is_some()).collect();
    let mut flags = vec![Vec::new(); shapes.len()];
    if judged.len() < MIN_OTHERS + 1 {
        return flags;
    }
    let shape = |i: usize| shapes[i].as_ref().expect("judged members have shapes");
    for &index in &judged {
        let others: Vec<usize> = judged.iter().copied().filter(|&i| i != index).collect();
        let own = shape(index).measures();
        let unusual: Vec<(&Measure, String)> = MEASURES
            .iter()
            .enumerate()
            .filter_map(|(m, measure)| {
                let values: Vec<f64> = others.iter().map(|&i| shape(i).measures()[m]).collect();
                // When the others agree exactly, a bigger version of the same thing (a Roman numeral
                // table with the subtractive pairs, 13 entries against 7) is still not an outlier.
                let (z, center) = robust_z(own[m], &values, measure.floor_spread, 0.5);
                (z >= MEASURE_Z && own[m] >= measure.min_value).then(|| {
                    let text = format!("{} {} (others' median {})", measure.name, round(own[m]), round(center));
                    (measure, text)
                })
            })
            .collect();
        let Some((strongest, _)) = unusual.first() else {
            continue;
        };
        let category = strongest.category;
        let unusual: Vec<String> = unusual.into_iter().map(|(_, text)| text).collect();
        // The medoid of the others: the one closest to all of them.
        let Some(medoid) = others.iter().copied().min_by(|&a, &b| {
            let total = |x: usize| others.iter().map(|&o| shape(x).distance(shape(o))).sum::<f64>();
            total(a).total_cmp(&total(b))
        }) else {
            continue;
        };
        let distances: Vec<f64> = others
            .iter()
            .filter(|&&o| o != medoid)
            .map(|&o| shape(o).distance(shape(medoid)))
            .collect();
        let distance = shape(index).distance(shape(medoid));
        let (distance_z, _) = robust_z(distance, &distances, 0.05, 0.0);
        if distance_z < DISTANCE_Z {
            continue;
        }
        let confidence = (0.3 + 0.05 * (unusual.len() - 1) as f64).min(0.45);
        flags[index].push(Flag::new(
            category,
            confidence,
            Signal::Contrast,
            "structural-outlier",
            format!(
                "passes the visible tests but its structure is far from the group's other passing solutions \
                 (node-kind distance {} to their medoid, robust z {}); unusual: {}",
                round(distance),
                round(distance_z),
                unusual.join("; ")
            ),
            Location::Group { task: task.to_owned() },
            &unusual.join("; "),
        ));
    }
    flags
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
