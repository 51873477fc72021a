//! Kind-specific keys of a `[[reward]]` or `[[shape]]` table, deserialized with the key path kept for errors.

use serde::de::DeserializeOwned;

use crate::KeyError;

/// The keys of one table that belong to its kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub toml::Table);

impl Params {
    /// Deserializes the keys into `P` (which should be `#[serde(deny_unknown_fields)]` so a misspelt key is an
    /// error). The error names the key, dotted for nested values.
    pub fn parse<P: DeserializeOwned>(&self) -> Result<P, KeyError> {
        let value = toml::Value::Table(self.0.clone());
        serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err.path().to_string();
            let message = err.inner().to_string();
            let key = if path == "." {
                field_named_in(&message).unwrap_or(path)
            } else {
                path
            };
            KeyError::new(key, message)
        })
    }
}

/// serde reports unknown and missing fields at the table itself; pull the field's name out of its message.
fn field_named_in(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    Some(rest[..rest.find('`')?].to_owned())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        require: Vec<String>,
        #[serde(default)]
        strict: bool,
    }

    fn params(text: &str) -> Params {
        Params(text.parse().unwrap())
    }

    #[test]
    fn misspelt_key_is_named() {
        let err = params("require = []\nstrickt = true").parse::<Demo>().unwrap_err();
        assert_eq!(err.key, "strickt");
        assert!(
            err.message.contains("expected `require` or `strict`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_type_names_the_nested_key() {
        let err = params("require = ['a', 3]").parse::<Demo>().unwrap_err();
        assert_eq!(err.key, "require[1]");
    }

    #[test]
    fn missing_key_is_reported() {
        let err = params("strict = true").parse::<Demo>().unwrap_err();
        assert_eq!(err.key, "require");
        assert!(err.message.contains("missing field `require`"), "{err}");
    }
}
