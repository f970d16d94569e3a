//! Writing owner-typed values into Rhai source as literals that can only ever be values.
//!
//! A text becomes a double-quoted Rhai string in which `"` and `\` are escaped and every
//! control character is a `\u` escape, so no value can close the string, continue a line
//! or start an interpolation (those only exist in back-tick strings). Numbers are written
//! by Rust's formatter, booleans as `true`/`false`. Nothing else is accepted.

use serde_json::Value;

/// The largest number a condition may compare with; beyond it floats lose integers and
/// Rust's formatter would write digits Rhai reads as an overflowing integer.
pub(crate) const MAX_NUMBER: f64 = 1e15;

/// A Rhai string literal holding exactly `text`.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Controls, and the line and paragraph separators some editors break on.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rhai literal for a scalar JSON value; `None` for anything else.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(string(s)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return (i.unsigned_abs() as f64 <= MAX_NUMBER).then(|| i.to_string());
            }
            let f = n.as_f64()?;
            if !f.is_finite() || f.abs() > MAX_NUMBER {
                return None;
            }
            let text = f.to_string();
            Some(if text.contains('.') {
                text
            } else {
                format!("{text}.0")
            })
        }
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::script::{Sandbox, ScriptInput};
    use crate::triggers::{Trigger, sample};

    /// Compiles `literal` as a whole script and returns what it evaluates to.
    fn read_back(literal: &str) -> rhai::Dynamic {
        let sandbox = Sandbox::shared();
        let script = sandbox.compile(literal, Trigger::ClientCreated).unwrap();
        let input = ScriptInput::from_payload(&sample(Trigger::ClientCreated)).unwrap();
        sandbox.run(&script, &input).unwrap()
    }

    #[test]
    fn hostile_texts_read_back_as_exactly_themselves() {
        let texts = [
            "",
            "plain",
            r#"say "hi""#,
            r"back\slash\",
            r#"" + eval("1") + ""#,
            r#""; loop {}; ""#,
            r#"") || true || op_equals("", ""#,
            "${client.phone}",
            "`${client.phone}`",
            "line\nbreak\r\n\ttab",
            "nul\u{0}bell\u{7}del\u{7f}",
            "sep\u{2028}para\u{2029}",
            "emoji 🐶 and Zoë",
            "// comment",
            "/* open comment",
            "\\u0022",
            "\\\"",
        ];
        for text in texts {
            let literal = string(text);
            let value = read_back(&literal);
            assert_eq!(value.into_string().unwrap(), text, "{literal}");
        }
    }

    #[test]
    fn numbers_and_booleans_are_written_as_rhai_reads_them() {
        assert_eq!(scalar(&json!(3)).unwrap(), "3");
        assert_eq!(scalar(&json!(-3)).unwrap(), "-3");
        assert_eq!(scalar(&json!(2.5)).unwrap(), "2.5");
        assert_eq!(scalar(&json!(2.0)).unwrap(), "2.0");
        assert_eq!(scalar(&json!(true)).unwrap(), "true");
        assert_eq!(read_back(&scalar(&json!(-3)).unwrap()).as_int(), Ok(-3));
        assert_eq!(read_back(&scalar(&json!(0.1)).unwrap()).as_float(), Ok(0.1));
        assert!(scalar(&json!(1e300)).is_none());
        assert!(scalar(&json!(u64::MAX)).is_none());
        assert!(scalar(&json!(null)).is_none());
        assert!(scalar(&json!([1])).is_none());
    }
}
