//! Hostile condition scripts, saved and run the way the engine will: each one either
//! fails to save or fails its run cleanly, within a bounded time.

use std::time::{Duration, Instant};

use automations::conditions::Conditions;
use automations::plan::{Action, AutomationVersion, EvaluationError, Recipient};
use automations::script::ScriptErrorKind;
use automations::triggers::TriggerSpec;

fn with_script(source: &str) -> AutomationVersion {
    AutomationVersion {
        trigger: TriggerSpec::BookingCompleted,
        conditions: Conditions::Script {
            source: source.to_owned(),
        },
        actions: vec![Action::SendSms {
            to: Recipient::Client,
            template: "Thanks, {{ client.first_name }}!".to_owned(),
        }],
    }
}

fn run_fails(source: &str) -> ScriptErrorKind {
    let compiled = with_script(source).compile().expect("saves");
    let started = Instant::now();
    let err = compiled.evaluate_sample().unwrap_err();
    // A hang guard far above the limits (50 ms), not a speed claim.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{source} took {:?}",
        started.elapsed()
    );
    match err {
        EvaluationError::Conditions(e) => {
            assert!(e.line.is_some(), "{source}: {e}");
            e.kind
        }
        other @ EvaluationError::Payload(_) => panic!("{other:?}"),
    }
}

#[test]
fn an_infinite_loop_fails_cleanly_in_bounded_time() {
    assert_eq!(run_fails("loop {}\ntrue"), ScriptErrorKind::Limit);
    assert_eq!(
        run_fails("while true { let x = 1; }\ntrue"),
        ScriptErrorKind::Limit
    );
    // (An empty loop body is optimized away, so this one does some work.)
    assert_eq!(
        run_fails("let x = 0;\nfor i in 0..100000000 { x = i; }\ntrue"),
        ScriptErrorKind::Limit
    );
}

#[test]
fn a_huge_string_fails_cleanly_in_bounded_time() {
    assert_eq!(
        run_fails("let s = client.name;\nloop { s += s; }"),
        ScriptErrorKind::Limit
    );
    assert_eq!(
        run_fails("let s = \"x\";\ns.pad(100000000, \"y\");\ntrue"),
        ScriptErrorKind::Limit
    );
}

#[test]
fn a_deep_recursion_fails_cleanly_in_bounded_time() {
    assert_eq!(
        run_fails("fn deeper(n) { deeper(n + 1) + 1 }\ndeeper(0) > 0"),
        ScriptErrorKind::Limit
    );
    // Mutual recursion too.
    assert_eq!(
        run_fails("fn a(n) { b(n) }\nfn b(n) { a(n) }\na(1)"),
        ScriptErrorKind::Limit
    );
}

#[test]
fn escapes_are_refused_when_saved() {
    for source in [
        r#"eval("true")"#,
        r#"import "std" as s; true"#,
        r#"import "/etc/passwd" as p; true"#,
    ] {
        let problems = with_script(source).compile().unwrap_err().problems;
        assert_eq!(problems[0].field, "conditions.source", "{source}");
        assert!(problems[0].line.is_some(), "{source}");
    }
}
