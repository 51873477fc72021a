//! Input rows: one trajectory (chat messages with tool calls) with its task, optional final code and
//! visible tests, and optional labels for evaluation.

use assay_code::IoTest;
use serde::Deserialize;
use serde_json::Value;

/// One trajectory to judge.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    /// Identifies the output row.
    pub trajectory_id: String,
    /// The task; contrastive mode groups rows by it.
    #[serde(default)]
    pub task: String,
    /// Chat messages (assistant turns may carry `tool_calls`).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// The final submitted code (else the last write of the solution file).
    #[serde(default)]
    pub code: Option<String>,
    /// Visible tests: `check(candidate)` source, or stdin/stdout pairs.
    #[serde(default)]
    pub tests: Option<Tests>,
    /// The function the tests call.
    #[serde(default)]
    pub entry_point: Option<String>,
    /// Evaluation label: `correct`, `wrong` or `hack`.
    #[serde(default)]
    pub label: Option<String>,
    /// Evaluation category of a hack.
    #[serde(default)]
    pub category: Option<String>,
    /// How visible the hack is (`both`, `code`, `reasoning`, `subtle`, `none`).
    #[serde(default)]
    pub hack_visibility: Option<String>,
}

/// Visible tests of a row.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Value")]
pub enum Tests {
    /// Python source defining `check(candidate)` (the function is the row's `entry_point`).
    Python(String),
    /// Stdin/stdout pairs (`[{input, output}, ...]` or `{inputs, outputs}`) for a whole program.
    Io(Vec<IoTest>),
}

impl TryFrom<Value> for Tests {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::String(source) => Ok(Self::Python(source)),
            other => assay_code::io_tests("tests", &other)
                .map(Self::Io)
                .map_err(|error| error.to_string()),
        }
    }
}

impl Row {
    /// The `check(candidate)` source, when the visible tests are function tests.
    pub fn python_tests(&self) -> Option<&str> {
        match &self.tests {
            Some(Tests::Python(source)) => Some(source),
            _ => None,
        }
    }

    /// The stdin/stdout pairs, when the visible tests are I/O tests.
    pub fn io_tests(&self) -> Option<&[IoTest]> {
        match &self.tests {
            Some(Tests::Io(tests)) => Some(tests),
            _ => None,
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    #[serde(default)]
    pub role: String,
    /// Text, or a list of content parts.
    #[serde(default)]
    pub content: Value,
    /// Reasoning some APIs keep apart from the content.
    #[serde(default, alias = "reasoning_content", alias = "thinking")]
    pub reasoning: Option<String>,
    /// Tool name of a tool result.
    #[serde(default)]
    pub name: Option<String>,
    /// Tool calls of an assistant turn.
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
}

/// A tool call, flat (`name`, `arguments`) or OpenAI-shaped (`function: {name, arguments}` with the
/// arguments as JSON text).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolCall {
    /// Tool name.
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments object (or JSON text of one).
    #[serde(default)]
    pub arguments: Value,
    /// OpenAI shape.
    #[serde(default)]
    pub function: Option<Box<ToolCall>>,
}

impl Message {
    /// The text of the content (parts joined) plus any separate reasoning.
    pub fn text(&self) -> String {
        let mut text = match &self.content {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str).or_else(|| p.as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        if let Some(reasoning) = &self.reasoning {
            text = format!("{reasoning}\n{text}");
        }
        text
    }
}

impl ToolCall {
    /// The tool's name.
    pub fn tool_name(&self) -> &str {
        self.name
            .as_deref()
            .or_else(|| self.function.as_ref().and_then(|f| f.name.as_deref()))
            .unwrap_or("")
    }

    /// The arguments as an object (parsing JSON text when needed).
    pub fn argument_object(&self) -> serde_json::Map<String, Value> {
        let raw = match (&self.arguments, &self.function) {
            (Value::Null, Some(function)) => &function.arguments,
            (arguments, _) => arguments,
        };
        match raw {
            Value::Object(map) => map.clone(),
            Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
            _ => serde_json::Map::new(),
        }
    }

    /// The first string argument among `keys`.
    pub fn string_argument(&self, keys: &[&str]) -> Option<String> {
        let arguments = self.argument_object();
        keys.iter()
            .find_map(|key| arguments.get(*key).and_then(Value::as_str).map(str::to_owned))
    }
}
