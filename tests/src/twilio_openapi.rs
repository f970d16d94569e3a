//! Holds exchanges with the fake Twilio to Twilio's own OpenAPI description of the
//! 2010-04-01 API (`testdata/twilio_api_v2010_subset.json`: the operations we call and the
//! schemas they use, cut verbatim from Twilio's file). Both sides are checked: what the
//! provider sends (path, query and form parameters declared for that operation, values of
//! the declared type, required ones present) and what the fake answers (a status the
//! operation declares, a body with exactly the schema's properties, each of its type,
//! enums and SID patterns respected; errors in Twilio's `{code, message, more_info,
//! status}` shape).

use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::fake_twilio::Exchange;

static SPEC: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../testdata/twilio_api_v2010_subset.json"))
        .expect("Twilio's OpenAPI description")
});

/// Panics listing every way the exchanges differ from Twilio's description.
pub fn assert_exchanges_match(exchanges: &[Exchange]) {
    assert!(!exchanges.is_empty(), "no exchanges to check");
    let problems: Vec<String> = exchanges.iter().flat_map(exchange_problems).collect();
    assert!(
        problems.is_empty(),
        "exchanges differ from Twilio's OpenAPI description:\n{}",
        problems.join("\n")
    );
}

/// Every way one exchange differs from the description, each naming the request.
pub fn exchange_problems(x: &Exchange) -> Vec<String> {
    let mut out = Vec::new();
    match x.route {
        None => out.push("no operation in the description matches".to_owned()),
        Some(route) => {
            let op = &SPEC["paths"][route][x.method.to_lowercase()];
            if op.is_null() {
                out.push(format!("the description has no {} {route}", x.method));
            } else {
                request_problems(op, route, x, &mut out);
                response_problems(op, x, &mut out);
            }
        }
    }
    out.into_iter()
        .map(|p| format!("{} {}: {p}", x.method, x.path))
        .collect()
}

fn request_problems(op: &Value, route: &str, x: &Exchange, out: &mut Vec<String>) {
    let declared = |place: &str| -> Map<String, Value> {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == place)
            .map(|p| (p["name"].as_str().unwrap_or_default().to_owned(), p.clone()))
            .collect()
    };
    // Path parameters: `{Sid}.json` in the template against `PN….json` in the path.
    let path_params = declared("path");
    for (template, actual) in route.split('/').zip(x.path.split('/')) {
        let Some((name, suffix)) = template.strip_prefix('{').and_then(|t| t.split_once('}'))
        else {
            continue;
        };
        let value = actual.strip_suffix(suffix).unwrap_or(actual);
        match path_params.get(name) {
            Some(p) => value_problems(&p["schema"], value, &format!("path {name}"), out),
            None => out.push(format!("path parameter {name} is not declared")),
        }
    }
    let query = declared("query");
    for (name, value) in &x.query {
        match query.get(name) {
            Some(p) => value_problems(&p["schema"], value, &format!("query {name}"), out),
            None => out.push(format!("query parameter {name} is not declared")),
        }
    }
    for (name, p) in &query {
        if p["required"] == true && !x.query.iter().any(|(n, _)| n == name) {
            out.push(format!("required query parameter {name} is missing"));
        }
    }
    let form = &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    if form.is_null() {
        if !x.form.is_empty() {
            out.push("sends a form, but the operation takes none".to_owned());
        }
        return;
    }
    let form_type = x.content_type.as_deref().unwrap_or_default();
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        out.push(format!("sends content type {form_type:?}, not a form"));
    }
    for (name, value) in &x.form {
        match form["properties"].get(name) {
            Some(schema) => value_problems(schema, value, &format!("form {name}"), out),
            None => out.push(format!("form parameter {name} is not declared")),
        }
    }
    for name in form["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if !x.form.iter().any(|(n, _)| n == name) {
            out.push(format!("required form parameter {name} is missing"));
        }
    }
}

/// A parameter's text against its schema: what the text must look like for its type.
fn value_problems(schema: &Value, value: &str, at: &str, out: &mut Vec<String>) {
    let schema = resolve(schema);
    let fits = match schema["type"].as_str() {
        Some("boolean") => value == "true" || value == "false",
        Some("integer") => value.parse::<i64>().is_ok_and(|n| {
            schema["minimum"].as_i64().is_none_or(|min| n >= min)
                && schema["maximum"].as_i64().is_none_or(|max| n <= max)
        }),
        Some("number") => value.parse::<f64>().is_ok(),
        Some("string") => {
            string_problems(schema, value, at, out);
            true
        }
        _ => true,
    };
    if !fits {
        out.push(format!(
            "{at} = {value:?} is not a valid {}",
            schema["type"]
        ));
    }
}

fn response_problems(op: &Value, x: &Exchange, out: &mut Vec<String>) {
    if !(200..300).contains(&x.status) {
        return error_problems(x, out);
    }
    let declared = &op["responses"][x.status.to_string()];
    if declared.is_null() {
        let codes: Vec<&String> = op["responses"]
            .as_object()
            .into_iter()
            .flat_map(Map::keys)
            .collect();
        return out.push(format!(
            "answered {}, the operation declares {codes:?}",
            x.status
        ));
    }
    match (
        &declared["content"]["application/json"]["schema"],
        &x.response,
    ) {
        (Value::Null, None) => {}
        (Value::Null, Some(_)) => out.push(format!("answered {} with a body", x.status)),
        (_, None) => out.push(format!("answered {} without a body", x.status)),
        (schema, Some(body)) => body_problems(schema, body, "response", out),
    }
}

/// Twilio's error bodies are not in the description; their shape is fixed.
fn error_problems(x: &Exchange, out: &mut Vec<String>) {
    let body = x.response.as_ref().and_then(Value::as_object);
    let ok = body.is_some_and(|b| {
        b.len() == 4
            && b.get("code").is_some_and(Value::is_i64)
            && b.get("message").is_some_and(Value::is_string)
            && b.get("more_info").is_some_and(Value::is_string)
            && b.get("status").and_then(Value::as_u64) == Some(u64::from(x.status))
    });
    if !ok {
        out.push(format!(
            "error body {:?} is not Twilio's {{code, message, more_info, status}}",
            x.response
        ));
    }
}

/// A JSON value against a schema: exactly the declared properties, each of its type.
fn body_problems(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(schema);
    if value.is_null() {
        if schema["nullable"] != true {
            out.push(format!("{at} is null, which the schema does not allow"));
        }
        return;
    }
    let fits = match schema["type"].as_str() {
        Some("object") => {
            let Some(object) = value.as_object() else {
                return out.push(format!("{at} should be an object, is {value}"));
            };
            // An object without declared properties is a map (`subresource_uris`).
            if let Some(properties) = schema["properties"].as_object() {
                for key in object.keys().filter(|k| !properties.contains_key(*k)) {
                    out.push(format!("{at}.{key} is not in the schema"));
                }
                for (key, property) in properties {
                    match object.get(key) {
                        Some(v) => body_problems(property, v, &format!("{at}.{key}"), out),
                        None => out.push(format!("{at}.{key} is missing")),
                    }
                }
            }
            true
        }
        Some("array") => {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                body_problems(&schema["items"], item, &format!("{at}[{i}]"), out);
            }
            value.is_array()
        }
        Some("string") => {
            if let Some(s) = value.as_str() {
                string_problems(schema, s, at, out);
            }
            value.is_string()
        }
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        other => {
            out.push(format!("{at}: the checker does not know type {other:?}"));
            true
        }
    };
    if !fits {
        out.push(format!("{at} should be {}, is {value}", schema["type"]));
    }
}

fn string_problems(schema: &Value, s: &str, at: &str, out: &mut Vec<String>) {
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.iter().any(|a| a == s)
    {
        out.push(format!("{at} = {s:?} is not one of {allowed:?}"));
    }
    let len = s.chars().count() as u64;
    let min = schema["minLength"].as_u64().unwrap_or(0);
    let max = schema["maxLength"].as_u64().unwrap_or(u64::MAX);
    if !(min..=max).contains(&len) {
        out.push(format!(
            "{at} = {s:?} is not {min} to {max} characters long"
        ));
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        match sid_pattern_matches(pattern, s) {
            Some(true) => {}
            Some(false) => out.push(format!("{at} = {s:?} does not match {pattern}")),
            None => out.push(format!("{at}: the checker does not understand {pattern}")),
        }
    }
    if schema["format"] == "date-time-rfc-2822" && chrono::DateTime::parse_from_rfc2822(s).is_err()
    {
        out.push(format!("{at} = {s:?} is not an RFC 2822 date"));
    }
}

/// The description's patterns are all SID shapes, `^PN[0-9a-fA-F]{32}$` or
/// `^(SM|MM)[0-9a-fA-F]{32}$`; `None` for any other pattern.
fn sid_pattern_matches(pattern: &str, s: &str) -> Option<bool> {
    let inner = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (prefixes, count) = inner.split_once("[0-9a-fA-F]{")?;
    let digits: usize = count.strip_suffix('}')?.parse().ok()?;
    let prefixes = prefixes
        .strip_prefix('(')
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or(prefixes);
    Some(prefixes.split('|').any(|prefix| {
        s.strip_prefix(prefix)
            .is_some_and(|hex| hex.len() == digits && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }))
}

/// Follows a `$ref` into `components.schemas`.
fn resolve(schema: &Value) -> &Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(&SPEC["components"]["schemas"][name])
        }
        None => schema,
    }
}
