//! Reading a device's JSON object field by field through `serde_json::Value`, as strictly as a
//! `#[derive(Deserialize)]` with `Option` fields would: a field that is absent or `null` is
//! `None`, one of the wrong type is an error, unknown fields are ignored.
//!
//! Why not the derive: in the console's wasm every derived `Deserialize` is its own copy of
//! serde's struct machinery (about 1.5–9 KB each), while every reader here shares the one
//! `Value` parser the console needs anyway (issue 11: the console's weight on the wire).

use serde_json::{Map, Value};

/// A JSON object whose fields are read one by one.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
}

/// Why a field could not be read, worded for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("expected an object, found {0}")]
    NotAnObject(&'static str),
    #[error("\u{201c}{field}\u{201d} should be {expected}, found {found}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
}

/// What kind of JSON value `value` is, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    /// The object `value` is.
    pub fn of(value: &'a Value) -> Result<Self, FieldError> {
        match value {
            Value::Object(object) => Ok(Fields { object }),
            other => Err(FieldError::NotAnObject(kind_of(other))),
        }
    }

    /// The field's value, unless absent or `null`.
    fn get(self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    fn wrong(key: &str, expected: &'static str, found: &Value) -> FieldError {
        FieldError::WrongType {
            field: key.to_owned(),
            expected,
            found: kind_of(found),
        }
    }

    /// A string field.
    pub fn text(self, key: &str) -> Result<Option<String>, FieldError> {
        self.get(key)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Self::wrong(key, "a string", v))
            })
            .transpose()
    }

    /// A whole, non-negative number.
    pub fn number(self, key: &str) -> Result<Option<u64>, FieldError> {
        self.get(key)
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| Self::wrong(key, "a whole number", v))
            })
            .transpose()
    }

    /// A nested object.
    pub fn object(self, key: &str) -> Result<Option<Fields<'a>>, FieldError> {
        self.get(key)
            .map(|v| Fields::of(v).map_err(|_| Self::wrong(key, "an object", v)))
            .transpose()
    }

    /// A list (an absent or `null` one is empty).
    pub fn list(self, key: &str) -> Result<&'a [Value], FieldError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(Self::wrong(key, "a list", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_read_like_optional_derived_fields() {
        let value = json!({"name": "n", "ratio": 2, "none": null, "obj": {"a": "b"}, "items": [1]});
        let fields = Fields::of(&value).unwrap();
        assert_eq!(fields.text("name"), Ok(Some("n".into())));
        assert_eq!(fields.text("missing"), Ok(None));
        assert_eq!(fields.text("none"), Ok(None));
        assert_eq!(fields.number("ratio"), Ok(Some(2)));
        assert_eq!(fields.list("items").unwrap().len(), 1);
        assert!(fields.list("missing").unwrap().is_empty());
        let inner = fields.object("obj").unwrap().unwrap();
        assert_eq!(inner.text("a"), Ok(Some("b".into())));
    }

    #[test]
    fn a_field_of_the_wrong_type_is_an_error_that_names_it() {
        let value = json!({"ratio": "1", "name": 3, "neg": -1, "items": {}});
        let fields = Fields::of(&value).unwrap();
        let err = fields.number("ratio").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\u{201c}ratio\u{201d} should be a whole number, found a string"
        );
        assert!(fields.text("name").is_err());
        assert!(fields.number("neg").is_err());
        assert!(fields.list("items").is_err());
        assert!(fields.object("name").is_err());
        assert_eq!(
            Fields::of(&json!([1])).err(),
            Some(FieldError::NotAnObject("a list"))
        );
    }
}
