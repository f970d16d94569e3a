use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::triggers::sample;

fn input(trigger: Trigger) -> ScriptInput {
    ScriptInput::from_payload(&sample(trigger)).unwrap()
}

fn run(source: &str) -> Result<bool, ScriptError> {
    Sandbox::shared().check_condition(
        source,
        Trigger::BookingAssigned,
        &sample(Trigger::BookingAssigned),
    )
}

fn kind(source: &str) -> ScriptErrorKind {
    run(source).unwrap_err().kind
}

/// Runs `source` and checks that it fails with `expected`, and stops at all: `bound` is a
/// hang guard, far above the limits, not a speed claim (machines are noisy).
const HANG_GUARD: Duration = Duration::from_secs(10);

fn fails_in_time(sandbox: &Sandbox, source: &str, expected: ScriptErrorKind, bound: Duration) {
    let t = Trigger::ClientCreated;
    let script = sandbox.compile(source, t).unwrap();
    let started = Instant::now();
    let err = sandbox.run_condition(&script, &input(t)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind, expected, "{source}: {err}");
    assert!(took < bound, "{source} took {took:?}");
}

#[test]
fn the_sandbox_is_shared_between_threads() {
    fn sync<T: Send + Sync>() {}
    sync::<Sandbox>();
    sync::<Script>();
}

#[test]
fn conditions_read_the_payload() {
    assert_eq!(run(r#"client.first_name == "John""#), Ok(true));
    assert_eq!(run(r#"sitter.first_name == "Mike""#), Ok(false));
    assert_eq!(
        run(r#""vip" in client.tags && booking.recurring"#),
        Ok(true)
    );
    assert_eq!(
        run(
            "let late = booking.start > \"2026-01-01\";\nif late { client.visits_count > 10 } else { false }"
        ),
        Ok(true)
    );
    assert_eq!(run("booking.sitter?.first_name == \"Sarah\""), Ok(true));
}

#[test]
fn unknown_variables_are_refused_when_saved_with_line_and_column() {
    let err = Sandbox::shared()
        .compile("true &&\n  clent.name == \"x\"", Trigger::ClientCreated)
        .unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::UnknownVariable);
    assert_eq!((err.line, err.column), (Some(2), Some(3)));
    assert!(err.message.contains("`clent`"), "{}", err.message);
    assert!(err.message.contains("org, client"), "{}", err.message);
    // A booking is not part of a client.created payload.
    let err = Sandbox::shared()
        .compile("booking.id != \"\"", Trigger::ClientCreated)
        .unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::UnknownVariable);
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let err = Sandbox::shared()
        .compile("let x = 1;\nlet y = ;", Trigger::ClientCreated)
        .unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Syntax);
    assert_eq!(err.line, Some(2));
    assert!(err.column.is_some());
    assert!(err.to_string().starts_with("line 2, column "), "{err}");
}

#[test]
fn runtime_errors_carry_line_and_column() {
    let err = run("let a = 1;\nclient.nmae == \"John\"").unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Runtime);
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("nmae"), "{}", err.message);
    let err = run("client.first_name - 1 > 2").unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Runtime);
    assert_eq!(err.line, Some(1));
}

#[test]
fn a_condition_must_produce_a_bool() {
    assert_eq!(kind("client.first_name"), ScriptErrorKind::NotBool);
    assert_eq!(kind("42"), ScriptErrorKind::NotBool);
}

#[test]
fn eval_and_import_are_disabled() {
    assert_eq!(kind(r#"eval("true")"#), ScriptErrorKind::Syntax);
    assert_eq!(
        kind(r#"import "secrets" as s; true"#),
        ScriptErrorKind::Syntax
    );
    // Nor can eval be reached through a function pointer.
    assert!(run(r#"Fn("eval").call("true")"#).is_err());
    assert!(run(r#"call(Fn("eval"), "true")"#).is_err());
}

#[test]
fn print_and_debug_go_nowhere() {
    assert_eq!(run(r#"print("hello"); debug(client); true"#), Ok(true));
}

#[test]
fn the_payload_is_read_only_and_runs_do_not_leak_into_each_other() {
    let sandbox = Sandbox::shared();
    let t = Trigger::ClientCreated;
    let input = input(t);
    let assign = sandbox
        .compile(r#"client.first_name = "Mallory"; true"#, t)
        .unwrap();
    assert!(sandbox.run_condition(&assign, &input).is_err());
    let push = sandbox
        .compile(r#"client.tags.push("x"); true"#, t)
        .unwrap();
    let _ = sandbox.run_condition(&push, &input);
    let shadow = sandbox
        .compile(r#"let client = 1; client == 1"#, t)
        .unwrap();
    assert_eq!(sandbox.run_condition(&shadow, &input), Ok(true));
    let check = sandbox
        .compile(
            r#"client.first_name == "John" && client.tags.len() == 0"#,
            t,
        )
        .unwrap();
    assert_eq!(sandbox.run_condition(&check, &input), Ok(true));
}

#[test]
fn an_infinite_loop_stops_at_the_operation_limit() {
    let sandbox = Sandbox::shared();
    fails_in_time(sandbox, "loop { }", ScriptErrorKind::Limit, HANG_GUARD);
    fails_in_time(
        sandbox,
        "let i = 0; while true { i += 1; } true",
        ScriptErrorKind::Limit,
        HANG_GUARD,
    );
}

#[test]
fn an_infinite_loop_stops_at_the_deadline_when_operations_are_unlimited() {
    let sandbox = Sandbox::new(Limits {
        max_operations: 0,
        deadline: Duration::from_millis(30),
        ..Limits::default()
    });
    fails_in_time(
        &sandbox,
        "let i = 0; loop { i += 1; }",
        ScriptErrorKind::Timeout,
        HANG_GUARD,
    );
    // The deadline is per run: the next run on this thread gets its own.
    let ok = sandbox.compile("client.first_name == \"John\"", Trigger::ClientCreated);
    assert_eq!(
        sandbox.run_condition(&ok.unwrap(), &input(Trigger::ClientCreated)),
        Ok(true)
    );
}

#[test]
fn a_huge_string_or_array_fails_cleanly() {
    let sandbox = Sandbox::shared();
    let second = HANG_GUARD;
    fails_in_time(
        sandbox,
        r#"let s = "x"; loop { s += s; }"#,
        ScriptErrorKind::Limit,
        second,
    );
    fails_in_time(
        sandbox,
        r#"let s = client.name; s.pad(1000000, "!"); true"#,
        ScriptErrorKind::Limit,
        second,
    );
    fails_in_time(
        sandbox,
        "let a = []; loop { a.push(1); }",
        ScriptErrorKind::Limit,
        second,
    );
    // Rhai checks a map's size when a statement ends rather than on each insert, so a
    // map grown inside an endless loop is stopped by the operation limit or the
    // deadline, whichever comes first; one grown by a finite loop hits the size limit.
    let t = Trigger::ClientCreated;
    let grow = sandbox
        .compile(
            "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
            t,
        )
        .unwrap();
    let started = Instant::now();
    let err = sandbox.run_condition(&grow, &input(t)).unwrap_err();
    assert!(matches!(
        err.kind,
        ScriptErrorKind::Limit | ScriptErrorKind::Timeout
    ));
    assert!(started.elapsed() < second);
    let big = sandbox
        .compile(
            "let m = #{}; for i in 0..300 { m[`k${i}`] = i; } m.len() > 0",
            t,
        )
        .unwrap();
    let err = sandbox.run_condition(&big, &input(t)).unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Limit, "{err}");
}

#[test]
fn deep_recursion_fails_cleanly() {
    fails_in_time(
        Sandbox::shared(),
        "fn down(n) { down(n + 1) } down(0)",
        ScriptErrorKind::Limit,
        HANG_GUARD,
    );
    let err = run("fn down(n) { down(n + 1) }\ndown(0)").unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Limit);
    assert!(err.message.contains("nested too deeply"), "{}", err.message);
}

#[test]
fn deeply_nested_expressions_are_refused_when_saved() {
    let source = format!("{}true{}", "(".repeat(5_000), ")".repeat(5_000));
    let err = Sandbox::shared()
        .compile(&source, Trigger::ClientCreated)
        .unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Syntax);
}

#[test]
fn too_many_variables_fail_cleanly() {
    let lets: String = (0..100).map(|i| format!("let v{i} = {i};\n")).collect();
    assert_eq!(kind(&format!("{lets}true")), ScriptErrorKind::Limit);
}

#[test]
fn each_thread_keeps_its_own_deadline() {
    let sandbox = std::sync::Arc::new(Sandbox::new(Limits {
        max_operations: 0,
        deadline: Duration::from_millis(40),
        ..Limits::default()
    }));
    let slow = {
        let sandbox = sandbox.clone();
        std::thread::spawn(move || {
            let t = Trigger::ClientCreated;
            let script = sandbox.compile("loop {}", t).unwrap();
            sandbox.run_condition(&script, &input(t)).unwrap_err().kind
        })
    };
    let t = Trigger::ClientCreated;
    let quick = sandbox.compile("client.visits_count == 0", t).unwrap();
    for _ in 0..1_000 {
        assert_eq!(sandbox.run_condition(&quick, &input(t)), Ok(true));
    }
    assert_eq!(slow.join().unwrap(), ScriptErrorKind::Timeout);
}

#[test]
fn operators_compare_leniently() {
    let cases = [
        (r#"op_equals("VIP", "vip")"#, true),
        (r#"op_equals("Zoë", "ZOË")"#, true),
        ("op_equals(2, 2.0)", true),
        (r#"op_equals(2, "2")"#, false),
        ("op_equals((), ())", true),
        (r#"op_equals((), "")"#, false),
        (r#"op_not_equals("a", "b")"#, true),
        (r#"op_contains("Hi! Can Sarah come", "sarah")"#, true),
        (r#"op_contains(["vip", "dog"], "DOG")"#, true),
        (r#"op_contains((), "x")"#, false),
        (r#"op_not_contains((), "x")"#, true),
        ("op_greater_than(14, 10)", true),
        ("op_greater_than(10, 10)", false),
        ("op_less_than(9.5, 10)", true),
        (
            r#"op_greater_than("2026-01-19T15:00:00Z", "2026-01-19T10:00:00-04:00")"#,
            true,
        ),
        (
            r#"op_less_than("2026-01-19T15:00:00Z", "2026-01-19T10:30:00-05:00")"#,
            true,
        ),
        (
            r#"op_equals("2026-01-19T15:00:00Z", "2026-01-19T10:00:00.000-05:00")"#,
            true,
        ),
        (
            r#"op_equals("2026-01-19T15:00:00Z", "2026-01-19T15:00:01Z")"#,
            false,
        ),
        (r#"op_greater_than((), 1)"#, false),
        (r#"op_greater_than("abc", 1)"#, false),
        ("op_is_empty(())", true),
        (r#"op_is_empty("  ")"#, true),
        ("op_is_empty([])", true),
        ("op_is_empty(#{})", true),
        ("op_is_empty(0)", false),
        (r#"op_is_not_empty("x")"#, true),
        (r#"op_in("dog_walk", ["drop_in", "DOG_WALK"])"#, true),
        (r#"op_in("overnight", ["drop_in", "dog_walk"])"#, false),
        (r#"op_in("x", "x")"#, false),
        (r#"op_has_tag(["vip", "dog"], "VIP")"#, true),
        (r#"op_has_tag(["vip"], "v")"#, false),
        (r#"op_has_tag((), "vip")"#, false),
    ];
    for (source, expected) in cases {
        assert_eq!(run(source), Ok(expected), "{source}");
    }
}

#[test]
fn non_object_payloads_are_refused() {
    let err = ScriptInput::from_payload(&json!([1, 2])).unwrap_err();
    assert_eq!(err.kind, ScriptErrorKind::Payload);
}
