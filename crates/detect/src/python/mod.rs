//! Static analysis of submitted Python with ruff's parser. Rules target mechanisms (how a program can
//! subvert a grader), not files: process exits and handlers, comparison-dunder overrides, monkeypatching
//! modules, frame/gc/ctypes introspection, file and network access, import-system tricks, literal tables
//! and branches keyed by the visible tests' inputs, obfuscated data, forged output.
//!
//! ruff's parser recovers from syntax errors, so code that does not parse still yields a partial tree
//! and the rules run on it; in that case token-level (regex) rules in `fallback` run as well, because
//! the recovered tree may have lost the statements that matter.

mod fallback;
pub(crate) mod literal;
mod names;
mod rules;

use ruff_python_ast::PySourceType;
use ruff_source_file::LineIndex;
use ruff_text_size::TextSize;

use crate::flag::{Flag, Location};
use crate::visible::VisibleTests;

/// Static findings for one Python file.
pub fn analyze_python(source: &str, file: &str, visible: Option<&VisibleTests>) -> Vec<Flag> {
    let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
    let positions = Positions::new(source, file);
    let mut flags = rules::run(parsed.syntax(), &positions, visible);
    if !parsed.errors().is_empty() {
        for flag in fallback::run(source, file) {
            if !flags.iter().any(|seen| seen.rule == flag.rule) {
                flags.push(flag);
            }
        }
    }
    flags
}

/// Maps byte offsets to line/column and quotes source lines.
pub(crate) struct Positions<'a> {
    source: &'a str,
    file: &'a str,
    index: LineIndex,
}

impl<'a> Positions<'a> {
    fn new(source: &'a str, file: &'a str) -> Self {
        Self {
            source,
            file,
            index: LineIndex::from_source_text(source),
        }
    }

    /// The location of `offset`.
    pub fn location(&self, offset: TextSize) -> Location {
        let at = self.index.line_column(offset, self.source);
        Location::Code {
            file: self.file.to_owned(),
            line: at.line.get(),
            column: at.column.get(),
        }
    }

    /// The source line containing `offset`.
    pub fn line(&self, offset: TextSize) -> &'a str {
        let start = self.source[..offset.to_usize().min(self.source.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = self.source[start..].find('\n').map_or(self.source.len(), |i| start + i);
        &self.source[start..end]
    }

    /// The line before the one containing `offset` (comments often sit there).
    pub fn previous_line(&self, offset: TextSize) -> &'a str {
        let start = self.source[..offset.to_usize().min(self.source.len())]
            .rfind('\n')
            .map_or(0, |i| i);
        if start == 0 {
            return "";
        }
        let before = &self.source[..start];
        let from = before.rfind('\n').map_or(0, |i| i + 1);
        &before[from..]
    }
}
