//! Condition evaluation time: a ten-row builder condition compiled once, evaluated many
//! times against the `appointment.upcoming` sample (target: median under 20 µs).
//!
//! `cargo run --release -p automations --example condition_bench`
//!
//! "evaluate" is what the engine pays per automation per event once the payload is
//! converted; "convert + evaluate" adds turning the JSON payload into script values, paid
//! once per event however many automations it is checked against.

use std::time::{Duration, Instant};

use automations::conditions::{ConditionGroup, ConditionRow, Conditions, Match, Operator};
use automations::script::{Sandbox, ScriptInput};
use automations::triggers::{Trigger, sample};
use serde_json::{Value, json};

const RUNS: usize = 20_000;

fn main() {
    let trigger = Trigger::AppointmentUpcoming;
    let payload = sample(trigger);
    let sandbox = Sandbox::shared();
    let row = |field: &str, operator, value: Value| ConditionRow {
        field: field.to_owned(),
        operator,
        value,
    };
    let conditions = Conditions::Builder(ConditionGroup {
        mode: Match::All,
        rows: vec![
            row("client.opted_out", Operator::Equals, json!(false)),
            row("client.tags", Operator::HasTag, json!("vip")),
            row("client.tags", Operator::NotContains, json!("do-not-text")),
            row("client.visits_count", Operator::GreaterThan, json!(3)),
            row("client.email", Operator::IsNotEmpty, Value::Null),
            row(
                "booking.service_type",
                Operator::In,
                json!(["dog_walk", "drop_in"]),
            ),
            row("booking.status", Operator::NotEquals, json!("cancelled")),
            row(
                "booking.start",
                Operator::GreaterThan,
                json!("2026-01-01T00:00:00Z"),
            ),
            row(
                "booking.sitter.first_name",
                Operator::Equals,
                json!("Sarah"),
            ),
            row("org.name", Operator::Contains, json!("snout")),
        ],
        groups: vec![],
    });

    let started = Instant::now();
    let compiled = conditions.compile(trigger, sandbox).expect("compiles");
    println!("compile: {:?}", started.elapsed());
    println!("condition: {}", compiled.rhai());

    let input = ScriptInput::from_payload(&payload).expect("payload");
    let (passed, trace) = compiled.evaluate(sandbox, &input, &payload).expect("runs");
    assert!(passed, "every row matches the sample");
    assert_eq!(trace.len(), 10);

    let evaluate = measure(|| {
        compiled.evaluate(sandbox, &input, &payload).expect("runs");
    });
    report("evaluate", &evaluate);
    let full = measure(|| {
        let input = ScriptInput::from_payload(&payload).expect("payload");
        compiled.evaluate(sandbox, &input, &payload).expect("runs");
    });
    report("convert + evaluate", &full);
}

fn measure(mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..1_000 {
        f();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(name: &str, sorted: &[Duration]) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "{name}: median {:.1} µs, p99 {:.1} µs, max {:.1} µs over {} runs",
        at(0.5),
        at(0.99),
        at(1.0),
        sorted.len()
    );
}
