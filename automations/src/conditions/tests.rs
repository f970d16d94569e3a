use serde_json::{Value, json};

use super::*;
use crate::triggers::sample;

const T: Trigger = Trigger::BookingAssigned;

fn row(field: &str, operator: Operator, value: Value) -> ConditionRow {
    ConditionRow {
        field: field.to_owned(),
        operator,
        value,
    }
}

fn all(rows: Vec<ConditionRow>) -> ConditionGroup {
    ConditionGroup {
        mode: Match::All,
        rows,
        groups: vec![],
    }
}

fn evaluate_on(conditions: &Conditions, payload: &Value) -> (bool, Vec<ConditionCheck>) {
    let sandbox = Sandbox::shared();
    let compiled = conditions.compile(T, sandbox).unwrap();
    let input = ScriptInput::from_payload(payload).unwrap();
    let outcome = compiled.evaluate(sandbox, &input, payload).unwrap();
    // The expression shown to the owner agrees with the row-by-row verdict.
    let shown = sandbox.compile(compiled.rhai(), T).unwrap();
    assert_eq!(
        sandbox.run_condition(&shown, &input).unwrap(),
        outcome.0,
        "{}",
        compiled.rhai()
    );
    outcome
}

fn passes(rows: Vec<ConditionRow>) -> bool {
    evaluate_on(&Conditions::Builder(all(rows)), &sample(T)).0
}

fn problems(group: ConditionGroup) -> Vec<Problem> {
    Conditions::Builder(group)
        .compile(T, Sandbox::shared())
        .unwrap_err()
}

#[test]
fn every_operator_against_the_sample() {
    use Operator::*;
    let cases = [
        ("client.first_name", Equals, json!("john"), true),
        ("client.first_name", Equals, json!("Jon"), false),
        ("booking.status", NotEquals, json!("cancelled"), true),
        ("booking.recurring", Equals, json!(true), true),
        ("booking.recurring", Equals, json!("no"), false),
        ("client.visits_count", Equals, json!("14"), true),
        (
            "booking.start",
            Equals,
            json!("2026-01-19T10:00:00-05:00"),
            true,
        ),
        ("client.name", Contains, json!("smith"), true),
        ("client.tags", Contains, json!("DOG"), true),
        ("client.name", NotContains, json!("Davis"), true),
        ("client.tags", NotContains, json!("vip"), false),
        ("client.visits_count", GreaterThan, json!(10), true),
        ("client.visits_count", GreaterThan, json!(14), false),
        ("client.visits_count", LessThan, json!(14.5), true),
        ("client.days_since_last_visit", LessThan, json!(7), true),
        (
            "booking.start",
            GreaterThan,
            json!("2026-01-19T09:59:00-05:00"),
            true,
        ),
        (
            "booking.start",
            LessThan,
            json!("2026-01-19T09:59:00-05:00"),
            false,
        ),
        ("client.email", IsEmpty, Value::Null, false),
        ("client.email", IsNotEmpty, Value::Null, true),
        ("booking.sitter", IsNotEmpty, Value::Null, true),
        ("client.tags", IsNotEmpty, Value::Null, true),
        (
            "booking.service_type",
            In,
            json!(["drop_in", "dog_walk"]),
            true,
        ),
        (
            "booking.service_type",
            In,
            json!("overnight, drop_in"),
            false,
        ),
        ("client.visits_count", In, json!([1, 14]), true),
        ("client.tags", HasTag, json!("VIP"), true),
        ("client.tags", HasTag, json!("cat"), false),
        ("sitter.first_name", Equals, json!("Sarah"), true),
        ("booking.sitter.name", Contains, json!("johnson"), true),
    ];
    for (field, op, value, expected) in cases.iter().cloned() {
        assert_eq!(
            passes(vec![row(field, op, value.clone())]),
            expected,
            "{field} {} {value}",
            op.as_str()
        );
    }
    // Each operator appears at least once above.
    for op in Operator::ALL {
        assert!(cases.iter().any(|c| c.1 == op), "{op:?} untested");
    }
}

#[test]
fn a_null_field_matches_only_emptiness() {
    let t = Trigger::BookingCreated;
    let payload = sample(t);
    assert!(payload["booking"]["sitter"].is_null());
    let check = |op, value| {
        let c = Conditions::Builder(all(vec![row("booking.sitter.name", op, value)]));
        let compiled = c.compile(t, Sandbox::shared()).unwrap();
        let input = ScriptInput::from_payload(&payload).unwrap();
        compiled
            .evaluate(Sandbox::shared(), &input, &payload)
            .unwrap()
            .0
    };
    assert!(check(Operator::IsEmpty, Value::Null));
    assert!(!check(Operator::Equals, json!("Sarah")));
    assert!(check(Operator::NotContains, json!("Sarah")));
}

#[test]
fn values_cannot_inject_code() {
    let attacks = [
        r#"John" || true || ""#,
        r#"x"); true || op_equals(("#,
        r#"\"); loop {} ("#,
        "John\"\n|| true\n//",
        "${client.phone}",
        r#"" + eval("true") + ""#,
    ];
    for attack in attacks {
        let r = row("client.first_name", Operator::Equals, json!(attack));
        let (passed, checks) = evaluate_on(&Conditions::Builder(all(vec![r])), &sample(T));
        assert!(!passed, "{attack}");
        assert_eq!(checks[0].value, json!(attack));
        // It still compares as the text it is.
        let mut payload = sample(T);
        payload["client"]["first_name"] = json!(attack);
        let r = row("client.first_name", Operator::Equals, json!(attack));
        assert!(evaluate_on(&Conditions::Builder(all(vec![r])), &payload).0);
    }
    // Fields are catalogue paths, never code.
    let p = problems(all(vec![row(
        "client.name) || true || (client.name",
        Operator::IsEmpty,
        Value::Null,
    )]));
    assert_eq!(p[0].field, "conditions.rows[0].field");
}

#[test]
fn rows_are_validated_against_the_trigger_fields() {
    use Operator::*;
    let one = |r| problems(all(vec![r]));
    let p = one(row("client.nickname", Equals, json!("x")));
    assert_eq!(p[0].field, "conditions.rows[0].field");
    assert!(p[0].reason.contains("client.nickname"));
    let p = one(row("message.body", Contains, json!("x")));
    assert!(p[0].reason.contains("booking.assigned"), "{}", p[0].reason);
    assert_eq!(
        one(row("client.name", GreaterThan, json!(1)))[0].field,
        "conditions.rows[0].operator"
    );
    assert_eq!(
        one(row("client.name", HasTag, json!("vip")))[0].field,
        "conditions.rows[0].operator"
    );
    assert_eq!(
        one(row("booking.sitter", Equals, json!("x")))[0].field,
        "conditions.rows[0].operator"
    );
    for bad in [
        row("client.visits_count", Equals, json!("many")),
        row("client.visits_count", Equals, json!(1e300)),
        row("booking.recurring", Equals, json!("maybe")),
        row("booking.start", GreaterThan, json!("tomorrow")),
        row("client.name", Equals, Value::Null),
        row("client.name", Equals, json!(["a"])),
        row("client.name", Equals, json!("x".repeat(501))),
        row("client.email", IsEmpty, json!("x")),
        row("booking.service_type", In, json!([])),
        row("booking.service_type", In, json!(5)),
    ] {
        let p = one(bad.clone());
        assert_eq!(p[0].field, "conditions.rows[0].value", "{bad:?}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let group = ConditionGroup {
        mode: Match::Any,
        rows: vec![
            row("client.nope", Operator::Equals, json!("x")),
            row("client.name", Operator::Equals, json!("ok")),
        ],
        groups: vec![all(vec![row(
            "client.tags",
            Operator::GreaterThan,
            json!(1),
        )])],
    };
    let fields: Vec<String> = problems(group).into_iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        [
            "conditions.rows[0].field",
            "conditions.groups[0].rows[0].operator"
        ]
    );
}

#[test]
fn groups_combine_all_and_any() {
    let yes = || row("client.first_name", Operator::Equals, json!("John"));
    let no = || row("client.first_name", Operator::Equals, json!("Emily"));
    let group = |mode, rows, groups| ConditionGroup { mode, rows, groups };
    let cases = [
        (group(Match::All, vec![yes(), yes()], vec![]), true),
        (group(Match::All, vec![yes(), no()], vec![]), false),
        (group(Match::Any, vec![no(), yes()], vec![]), true),
        (group(Match::Any, vec![no(), no()], vec![]), false),
        (group(Match::All, vec![], vec![]), true),
        (group(Match::Any, vec![], vec![]), true),
        (
            group(
                Match::All,
                vec![yes()],
                vec![group(Match::Any, vec![no(), yes()], vec![])],
            ),
            true,
        ),
        (
            group(
                Match::Any,
                vec![no()],
                vec![group(Match::All, vec![yes(), no()], vec![])],
            ),
            false,
        ),
    ];
    for (g, expected) in cases {
        let (passed, checks) = evaluate_on(&Conditions::Builder(g.clone()), &sample(T));
        assert_eq!(passed, expected, "{g:?}");
        assert_eq!(checks.len(), count_rows(&g));
    }
}

fn count_rows(g: &ConditionGroup) -> usize {
    g.rows.len() + g.groups.iter().map(count_rows).sum::<usize>()
}

#[test]
fn groups_nest_at_most_three_deep() {
    let mut g = all(vec![]);
    for _ in 0..3 {
        g = ConditionGroup {
            groups: vec![g],
            ..all(vec![])
        };
    }
    let p = problems(g);
    assert_eq!(p[0].field, "conditions.groups[0].groups[0].groups[0]");
}

#[test]
fn the_trace_shows_each_row_with_the_payload_value() {
    let (passed, checks) = evaluate_on(
        &Conditions::Builder(all(vec![
            row("client.tags", Operator::HasTag, json!("vip")),
            row("client.visits_count", Operator::GreaterThan, json!("20")),
        ])),
        &sample(T),
    );
    assert!(!passed);
    assert_eq!(checks[0].expression, r#"op_has_tag(client.tags, "vip")"#);
    assert_eq!(checks[0].actual, json!(["vip", "dog"]));
    assert!(checks[0].passed);
    assert_eq!(checks[1].value, json!(20), "coerced to the field's kind");
    assert_eq!(checks[1].actual, json!(14));
    assert!(!checks[1].passed);
}

#[test]
fn each_row_of_the_trace_says_where_it_is() {
    let yes = || row("client.first_name", Operator::Equals, json!("John"));
    let g = ConditionGroup {
        mode: Match::All,
        rows: vec![yes()],
        groups: vec![
            ConditionGroup {
                mode: Match::Any,
                rows: vec![yes(), yes()],
                groups: vec![all(vec![yes()])],
            },
            all(vec![yes()]),
        ],
    };
    let (_, checks) = evaluate_on(&Conditions::Builder(g), &sample(T));
    let at: Vec<_> = checks.iter().map(|c| c.at.as_deref().unwrap()).collect();
    assert_eq!(
        at,
        [
            "conditions.rows[0]",
            "conditions.groups[0].rows[0]",
            "conditions.groups[0].rows[1]",
            "conditions.groups[0].groups[0].rows[0]",
            "conditions.groups[1].rows[0]",
        ]
    );
    let script = Conditions::Script {
        source: "true".to_owned(),
    };
    assert_eq!(evaluate_on(&script, &sample(T)).1[0].at, None);
}

#[test]
fn the_builder_reads_as_one_expression() {
    let g = ConditionGroup {
        mode: Match::All,
        rows: vec![row("client.tags", Operator::HasTag, json!("vip"))],
        groups: vec![ConditionGroup {
            mode: Match::Any,
            rows: vec![
                row("booking.service_type", Operator::In, json!(["dog_walk"])),
                row("booking.sitter.first_name", Operator::IsEmpty, Value::Null),
            ],
            groups: vec![],
        }],
    };
    let compiled = Conditions::Builder(g)
        .compile(T, Sandbox::shared())
        .unwrap();
    assert_eq!(
        compiled.rhai(),
        r#"op_has_tag(client.tags, "vip") && (op_in(booking.service_type, ["dog_walk"]) || op_is_empty(booking.sitter?.first_name))"#
    );
}

#[test]
fn a_script_compiles_with_its_errors_placed() {
    let ok = Conditions::Script {
        source: "client.visits_count > 10".to_owned(),
    };
    assert!(evaluate_on(&ok, &sample(T)).0);
    let bad = Conditions::Script {
        source: "let x = 1;\nx > clinet.visits_count".to_owned(),
    };
    let p = bad.compile(T, Sandbox::shared()).unwrap_err();
    assert_eq!(p[0].field, "conditions.source");
    assert_eq!((p[0].line, p[0].column), (Some(2), Some(5)));
    let long = Conditions::Script {
        source: "true ".repeat(3_000),
    };
    assert!(long.compile(T, Sandbox::shared()).is_err());
}

#[test]
fn conditions_serialize_as_the_builder_sends_them() {
    let json = json!({
        "type": "builder",
        "match": "any",
        "rows": [{"field": "client.tags", "operator": "has_tag", "value": "vip"},
                 {"field": "client.email", "operator": "is_empty"}]
    });
    let c: Conditions = serde_json::from_value(json).unwrap();
    let Conditions::Builder(g) = &c else {
        panic!("builder")
    };
    assert_eq!(g.mode, Match::Any);
    assert_eq!(g.rows[1].value, Value::Null);
    let script: Conditions =
        serde_json::from_value(json!({"type": "script", "source": "true"})).unwrap();
    assert_eq!(
        script,
        Conditions::Script {
            source: "true".to_owned()
        }
    );
    assert_eq!(Conditions::default(), Conditions::Builder(all(vec![])));
}
