//! Import aliases: resolves `o._exit` (after `import os as o`) or `_exit` (after `from os import _exit`)
//! to the dotted name `os._exit`.

use std::collections::HashMap;

use ruff_python_ast::name::UnqualifiedName;
use ruff_python_ast::visitor::{Visitor, walk_stmt};
use ruff_python_ast::{Expr, Stmt};

/// Local name → dotted module path, collected from every import in the module (imports inside
/// functions included: a rule cares what a name can mean, not where it was bound).
#[derive(Debug, Default)]
pub(crate) struct Imports {
    aliases: HashMap<String, String>,
}

impl Imports {
    pub fn collect(body: &[Stmt]) -> Self {
        let mut imports = Self::default();
        for stmt in body {
            imports.visit_stmt(stmt);
        }
        imports
    }

    /// Whether a local name is bound by an import.
    pub fn is_module_alias(&self, name: &str) -> bool {
        self.aliases.contains_key(name)
    }

    /// Dotted name of an attribute chain or name, with its first segment resolved through the imports
    /// (`__builtins__` counts as `builtins`).
    pub fn resolve(&self, expr: &Expr) -> Option<String> {
        let name = UnqualifiedName::from_expr(expr)?;
        let segments = name.segments();
        let (first, rest) = segments.split_first()?;
        let head = match self.aliases.get(*first) {
            Some(path) => path.clone(),
            None if *first == "__builtins__" => "builtins".to_owned(),
            None => (*first).to_owned(),
        };
        let mut out = head;
        for part in rest {
            out.push('.');
            out.push_str(part);
        }
        Some(out)
    }
}

impl<'a> Visitor<'a> for Imports {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let full = alias.name.id.as_str();
                    match &alias.asname {
                        Some(local) => {
                            self.aliases.insert(local.id.to_string(), full.to_owned());
                        }
                        None => {
                            let top = full.split('.').next().unwrap_or(full);
                            self.aliases.insert(top.to_owned(), top.to_owned());
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map_or("", |m| m.id.as_str());
                for alias in &import.names {
                    let name = alias.name.id.as_str();
                    let local = alias.asname.as_ref().map_or(name, |a| a.id.as_str());
                    let full = if module.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{module}.{name}")
                    };
                    self.aliases.insert(local.to_owned(), full);
                }
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }
}
