//! Python values to JSON records and TOML tables, and JSON back to Python; errors name the path of the value.

use std::fmt::Write as _;

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Value};

/// Nesting beyond this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

/// Where a value sits inside the converted object, e.g. field `messages[2].content`.
struct Location {
    /// What a path is called in messages: "field" for records, "key" for configs.
    noun: &'static str,
    path: Vec<Segment>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Location {
    fn new(noun: &'static str) -> Self {
        Self { noun, path: Vec::new() }
    }

    fn render(&self) -> String {
        let mut text = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) if text.is_empty() => text.push_str(key),
                Segment::Key(key) => {
                    let _ = write!(text, ".{key}");
                }
                Segment::Index(index) => {
                    let _ = write!(text, "[{index}]");
                }
            }
        }
        text
    }

    fn fail(&self, what: &str) -> String {
        if self.path.is_empty() {
            what.to_owned()
        } else {
            format!("{} `{}`: {what}", self.noun, self.render())
        }
    }
}

/// A tree-shaped value Python data converts into (JSON for records, TOML for pipeline configs).
trait Tree: Sized {
    fn null() -> Result<Self, &'static str>;
    fn boolean(value: bool) -> Self;
    fn integer(value: i64) -> Self;
    fn unsigned(value: u64) -> Result<Self, &'static str>;
    fn float(value: f64) -> Result<Self, &'static str>;
    fn string(value: String) -> Self;
    fn array(items: Vec<Self>) -> Self;
    fn object(entries: Vec<(String, Self)>) -> Self;
}

impl Tree for Value {
    fn null() -> Result<Self, &'static str> {
        Ok(Value::Null)
    }
    fn boolean(value: bool) -> Self {
        Value::Bool(value)
    }
    fn integer(value: i64) -> Self {
        Value::from(value)
    }
    fn unsigned(value: u64) -> Result<Self, &'static str> {
        Ok(Value::from(value))
    }
    fn float(value: f64) -> Result<Self, &'static str> {
        serde_json::Number::from_f64(value)
            .map(Value::Number)
            .ok_or("NaN and infinite floats have no JSON form")
    }
    fn string(value: String) -> Self {
        Value::String(value)
    }
    fn array(items: Vec<Self>) -> Self {
        Value::Array(items)
    }
    fn object(entries: Vec<(String, Self)>) -> Self {
        Value::Object(entries.into_iter().collect())
    }
}

impl Tree for toml::Value {
    fn null() -> Result<Self, &'static str> {
        Err("None has no TOML form; leave the key out instead")
    }
    fn boolean(value: bool) -> Self {
        toml::Value::Boolean(value)
    }
    fn integer(value: i64) -> Self {
        toml::Value::Integer(value)
    }
    fn unsigned(_: u64) -> Result<Self, &'static str> {
        Err("integer out of TOML's 64-bit signed range")
    }
    fn float(value: f64) -> Result<Self, &'static str> {
        Ok(toml::Value::Float(value))
    }
    fn string(value: String) -> Self {
        toml::Value::String(value)
    }
    fn array(items: Vec<Self>) -> Self {
        toml::Value::Array(items)
    }
    fn object(entries: Vec<(String, Self)>) -> Self {
        toml::Value::Table(entries.into_iter().collect())
    }
}

/// Converts one record (a `dict` or other mapping) into a JSON object.
pub fn record(value: &Bound<'_, PyAny>) -> Result<Map<String, Value>, String> {
    if value.cast::<PyDict>().is_err() && value.cast::<PyMapping>().is_err() {
        return Err(format!("expected a dict, found {}", type_name(value)));
    }
    match convert::<Value>(value, &mut Location::new("field"))? {
        Value::Object(map) => Ok(map),
        _ => Err("expected a dict".to_owned()),
    }
}

/// Converts a pipeline config (`dict`) into a TOML table.
pub fn toml_table(value: &Bound<'_, PyAny>) -> Result<toml::Table, String> {
    match convert::<toml::Value>(value, &mut Location::new("key"))? {
        toml::Value::Table(table) => Ok(table),
        _ => Err(format!("expected a dict, found {}", type_name(value))),
    }
}

fn convert<T: Tree>(value: &Bound<'_, PyAny>, at: &mut Location) -> Result<T, String> {
    if at.path.len() > MAX_DEPTH {
        return Err(at.fail(&format!("nested deeper than {MAX_DEPTH} levels")));
    }
    if value.is_none() {
        return T::null().map_err(|why| at.fail(why));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(T::boolean(flag.is_true()));
    }
    if value.cast::<PyInt>().is_ok() {
        if let Ok(number) = value.extract::<i64>() {
            return Ok(T::integer(number));
        }
        return match value.extract::<u64>() {
            Ok(number) => T::unsigned(number).map_err(|why| at.fail(why)),
            Err(_) => Err(at.fail("integer too large (more than 64 bits)")),
        };
    }
    if let Ok(number) = value.cast::<PyFloat>() {
        return T::float(number.value()).map_err(|why| at.fail(why));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_cow()
            .map(|text| T::string(text.into_owned()))
            .map_err(|err| at.fail(&err.to_string()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return entries(dict.iter(), at).map(T::object);
    }
    if let Ok(list) = value.cast::<PyList>() {
        return items(list.iter(), at).map(T::array);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return items(tuple.iter(), at).map(T::array);
    }
    if let Ok(mapping) = value.cast::<PyMapping>() {
        let pairs = mapping.items().map_err(|err| at.fail(&err.to_string()))?;
        let pairs = pairs
            .iter()
            .map(|pair| pair.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| at.fail(&err.to_string()))?;
        return entries(pairs.into_iter(), at).map(T::object);
    }
    // NumPy arrays and scalars (and anything else that offers it) convert through `tolist()`.
    if let Ok(to_list) = value.getattr("tolist")
        && to_list.is_callable()
    {
        let plain = to_list.call0().map_err(|err| at.fail(&err.to_string()))?;
        if !plain.is(value) && plain.getattr("tolist").is_err() {
            return convert(&plain, at);
        }
    }
    Err(at.fail(&format!("{} has no JSON form", type_name(value))))
}

fn entries<'py, T: Tree>(
    pairs: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    at: &mut Location,
) -> Result<Vec<(String, T)>, String> {
    let mut out = Vec::new();
    for (key, item) in pairs {
        let Ok(key) = key.cast::<PyString>().map(|k| k.to_string_lossy().into_owned()) else {
            return Err(at.fail(&format!("keys must be strings, found {}", type_name(&key))));
        };
        at.path.push(Segment::Key(key));
        let converted = convert(&item, at);
        let Some(Segment::Key(key)) = at.path.pop() else {
            unreachable!("the key pushed above")
        };
        out.push((key, converted?));
    }
    Ok(out)
}

fn items<'py, T: Tree>(values: impl Iterator<Item = Bound<'py, PyAny>>, at: &mut Location) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for (index, item) in values.enumerate() {
        at.path.push(Segment::Index(index));
        let converted = convert(&item, at);
        at.path.pop();
        out.push(converted?);
    }
    Ok(out)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_owned(), |name| format!("`{name}`"))
}

/// Converts JSON into plain Python objects (dict, list, str, int, float, bool, None).
pub fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                integer.into_bound_py_any(py)
            } else if let Some(integer) = number.as_u64() {
                integer.into_bound_py_any(py)
            } else {
                number.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_python(py, item)?)?;
            }
            Ok(dict.into_any())
        }
    }
}
