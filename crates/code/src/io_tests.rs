//! Reading I/O tests from a record field.

use assay_core::RewardError;
use serde_json::Value;

use crate::IoTest;

/// Parses `[{input, output}, ...]` or `{inputs: [...], outputs: [...]}`; errors name `field`.
pub fn io_tests(field: &str, value: &Value) -> Result<Vec<IoTest>, RewardError> {
    let bad = |found: &'static str| RewardError::WrongType {
        field: field.to_owned(),
        expected: "a list of {input, output} or {inputs: [...], outputs: [...]}",
        found,
    };
    let text = |value: &Value| -> Result<String, RewardError> {
        match value {
            Value::String(text) => Ok(text.clone()),
            _ => Err(bad("a test whose input or output is not text")),
        }
    };
    let tests = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(test) => Ok(IoTest {
                    input: text(test.get("input").unwrap_or(&Value::Null))?,
                    output: text(test.get("output").unwrap_or(&Value::Null))?,
                }),
                _ => Err(bad("a list with an item that is not an object")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Value::Object(columns) => {
            let column = |name: &str| match columns.get(name) {
                Some(Value::Array(items)) => items.iter().map(text).collect::<Result<Vec<_>, _>>(),
                _ => Err(bad("an object without `inputs` and `outputs` lists")),
            };
            let (inputs, outputs) = (column("inputs")?, column("outputs")?);
            if inputs.len() != outputs.len() {
                return Err(bad("`inputs` and `outputs` of different lengths"));
            }
            inputs
                .into_iter()
                .zip(outputs)
                .map(|(input, output)| IoTest { input, output })
                .collect()
        }
        other => return Err(bad(assay_core::json_type_name(other))),
    };
    if tests.is_empty() {
        return Err(RewardError::EmptyInput(format!("field `{field}` has no tests")));
    }
    Ok(tests)
}
