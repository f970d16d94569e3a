use serde_json::json;

use super::*;
use crate::conditions::{ConditionGroup, ConditionRow, Match, Operator};
use crate::triggers::{Trigger, sample};

fn sms(to: Recipient, template: &str) -> Action {
    Action::SendSms {
        to,
        template: template.to_owned(),
    }
}

fn version(trigger: TriggerSpec, actions: Vec<Action>) -> AutomationVersion {
    AutomationVersion {
        trigger,
        conditions: Conditions::default(),
        actions,
    }
}

fn problems(v: &AutomationVersion) -> Vec<Problem> {
    v.compile().unwrap_err().problems
}

fn fields(v: &AutomationVersion) -> Vec<String> {
    problems(v).into_iter().map(|p| p.field).collect()
}

#[test]
fn wait_is_one_minute_to_thirty_days() {
    let with_wait = |minutes| {
        version(
            TriggerSpec::BookingCompleted,
            vec![Action::Wait { minutes }, sms(Recipient::Client, "Thanks!")],
        )
    };
    assert!(with_wait(1).compile().is_ok());
    assert!(with_wait(43_200).compile().is_ok());
    for bad in [0, -5, 43_201, i64::MAX] {
        assert_eq!(fields(&with_wait(bad)), ["actions[0].minutes"], "{bad}");
    }
}

#[test]
fn a_wait_cannot_be_last_and_there_is_at_least_one_action() {
    let v = version(
        TriggerSpec::ClientCreated,
        vec![sms(Recipient::Client, "Hi"), Action::Wait { minutes: 5 }],
    );
    assert_eq!(fields(&v), ["actions[1]"]);
    assert_eq!(
        fields(&version(TriggerSpec::ClientCreated, vec![])),
        ["actions"]
    );
}

#[test]
fn a_sitter_can_be_texted_only_where_there_is_a_booking() {
    let to_sitter = |t| {
        version(
            t,
            vec![sms(
                Recipient::Sitter,
                "New visit on {{ booking.start | date }}",
            )],
        )
    };
    assert!(to_sitter(TriggerSpec::BookingAssigned).compile().is_ok());
    assert!(
        to_sitter(TriggerSpec::AppointmentUpcoming { offset_minutes: 60 })
            .compile()
            .is_ok()
    );
    let v = version(
        TriggerSpec::ClientCreated,
        vec![sms(Recipient::Sitter, "New client {{ client.first_name }}")],
    );
    assert_eq!(fields(&v), ["actions[0].to"]);
}

#[test]
fn tags_are_checked() {
    for (tag, ok) in [
        ("vip", true),
        ("win-back 2026", true),
        ("", false),
        ("  ", false),
        (" vip", false),
        ("a,b", false),
        ("x\u{0}", false),
        (&"t".repeat(41), false),
    ] {
        let v = version(
            TriggerSpec::ClientCreated,
            vec![Action::AddTag {
                tag: tag.to_owned(),
            }],
        );
        assert_eq!(v.compile().is_ok(), ok, "{tag:?}");
        if !ok {
            assert_eq!(fields(&v), ["actions[0].tag"]);
        }
    }
}

#[test]
fn template_problems_name_the_action_and_line() {
    let v = version(
        TriggerSpec::BookingCreated,
        vec![
            sms(Recipient::Client, "Hi {{ client.first_name }}"),
            Action::NotifyOwner {
                title: "New booking for {{ client.name }}".to_owned(),
                template: "{{ booking.service_type }}\n{{ sitter.first_name }}".to_owned(),
            },
        ],
    );
    let p = problems(&v);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].field, "actions[1].template");
    assert_eq!(p[0].line, Some(2));
    assert!(p[0].reason.contains("`sitter`"), "{}", p[0].reason);
}

#[test]
fn titles_are_short() {
    let v = version(
        TriggerSpec::ClientCreated,
        vec![Action::CreateAlert {
            severity: Severity::Info,
            title: format!("{{{{ client.name }}}} {}", "x".repeat(120)),
            template: "New client".to_owned(),
        }],
    );
    assert_eq!(fields(&v), ["actions[0].title"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let v = AutomationVersion {
        trigger: TriggerSpec::Schedule {
            cron: "* * * * *".to_owned(),
        },
        conditions: Conditions::Script {
            source: "client.visits_count >".to_owned(),
        },
        actions: vec![
            Action::Wait { minutes: 0 },
            sms(Recipient::Client, "{{ booking.start }}"),
        ],
    };
    assert_eq!(
        fields(&v),
        [
            "trigger",
            "conditions.source",
            "actions[0].minutes",
            "actions[1].template"
        ]
    );
}

fn reminder() -> AutomationVersion {
    AutomationVersion {
        trigger: TriggerSpec::AppointmentUpcoming {
            offset_minutes: 24 * 60,
        },
        conditions: Conditions::Builder(ConditionGroup {
            mode: Match::All,
            rows: vec![ConditionRow {
                field: "client.opted_out".to_owned(),
                operator: Operator::Equals,
                value: json!(false),
            }],
            groups: vec![],
        }),
        actions: vec![
            sms(
                Recipient::Client,
                "Hi {{ client.first_name }}! {{ booking.sitter.first_name }} will see you {{ booking.start | datetime }}.",
            ),
            Action::Wait { minutes: 90 },
            sms(
                Recipient::Sitter,
                "Reminder: {{ client.first_name }} at {{ booking.start | time }}",
            ),
            Action::AddTag {
                tag: "reminded".to_owned(),
            },
            Action::Wait { minutes: 30 },
            Action::CreateAlert {
                severity: Severity::Warning,
                title: "Check on {{ client.name }}".to_owned(),
                template: "Phone {{ client.phone }}".to_owned(),
            },
        ],
    }
}

#[test]
fn an_evaluation_plans_every_step_with_its_text() {
    let compiled = reminder().compile().unwrap();
    let e = compiled.evaluate_sample().unwrap();
    assert!(e.conditions_passed);
    assert!(e.is_ok());
    assert_eq!(e.condition_trace.len(), 1);
    assert_eq!(e.condition_trace[0].actual, json!(false));
    let s = &e.steps;
    assert_eq!(s.len(), 6);
    assert_eq!(
        s[0].rendered_text.as_deref(),
        Some("Hi John! Sarah will see you Mon, Jan 19 at 10:00 AM.")
    );
    assert_eq!(s[0].segments.unwrap().segments, 1);
    assert_eq!(
        s[0].recipient_id.as_deref(),
        Some("0194a3c2-6f01-7e55-8c12-4b9d0a7e3f28")
    );
    assert_eq!(
        s[2].rendered_text.as_deref(),
        Some("Reminder: John at 10:00 AM")
    );
    assert_eq!(
        s[2].recipient_id.as_deref(),
        Some("0194a3c2-7d10-7b3e-9a51-5f2c8e4d1a07")
    );
    assert_eq!(s[3].recipient_id, s[0].recipient_id);
    let due: Vec<i64> = s.iter().map(|s| s.due_after_minutes).collect();
    assert_eq!(due, [0, 0, 90, 90, 90, 120]);
    assert_eq!(s[5].rendered_title.as_deref(), Some("Check on John Smith"));
    assert_eq!(s[5].rendered_text.as_deref(), Some("Phone +15551234567"));
    assert_eq!(s[1].rendered_text, None);
}

#[test]
fn a_test_run_and_a_live_run_are_the_same_call() {
    let compiled = reminder().compile().unwrap();
    let trigger = Trigger::AppointmentUpcoming;
    assert_eq!(
        compiled.evaluate_sample().unwrap(),
        evaluate(&compiled, &sample(trigger)).unwrap()
    );
}

#[test]
fn conditions_that_fail_plan_nothing() {
    let compiled = reminder().compile().unwrap();
    let mut payload = sample(Trigger::AppointmentUpcoming);
    payload["client"]["opted_out"] = json!(true);
    let e = evaluate(&compiled, &payload).unwrap();
    assert!(!e.conditions_passed);
    assert!(e.steps.is_empty());
    assert!(!e.condition_trace[0].passed);
}

#[test]
fn a_step_that_cannot_be_carried_out_is_marked() {
    let compiled = reminder().compile().unwrap();
    let mut payload = sample(Trigger::AppointmentUpcoming);
    payload["booking"]["sitter"] = json!(null);
    let e = evaluate(&compiled, &payload).unwrap();
    // Step 0 names the sitter in a client text: strict undefined fails it.
    assert!(matches!(
        e.steps[0].error,
        Some(StepError::Template {
            field: "template",
            ..
        })
    ));
    assert_eq!(e.steps[2].error, Some(StepError::NoSitter));
    assert_eq!(e.first_failed_step(), Some(0));
    assert!(!e.is_ok());
}

#[test]
fn payloads_and_condition_errors_stop_the_evaluation() {
    let compiled = reminder().compile().unwrap();
    let err = evaluate(&compiled, &sample(Trigger::ClientCreated)).unwrap_err();
    assert!(matches!(err, EvaluationError::Payload(_)));
    let script = AutomationVersion {
        conditions: Conditions::Script {
            source: "let n = client.visits_count;\nn / 0 > 1".to_owned(),
        },
        ..reminder()
    };
    let err = script.compile().unwrap().evaluate_sample().unwrap_err();
    let EvaluationError::Conditions(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.line, Some(2));
}

#[test]
fn a_version_round_trips_through_json() {
    let json = json!({
        "trigger": {"event": "booking.assigned"},
        "conditions": {"type": "builder", "match": "all",
                       "rows": [{"field": "booking.service_type", "operator": "in", "value": ["dog_walk"]}]},
        "actions": [
            {"type": "send_sms", "to": "client",
             "template": "{{ sitter.first_name }} will be visiting on {{ booking.start | date }}."},
            {"type": "wait", "minutes": 60},
            {"type": "notify_owner", "title": "Sent", "template": "Told {{ client.name }}"},
            {"type": "remove_tag", "tag": "unassigned"}
        ]
    });
    let v: AutomationVersion = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&v).unwrap(), json);
    let e = v.compile().unwrap().evaluate_sample().unwrap();
    assert_eq!(
        e.steps[0].rendered_text.as_deref(),
        Some("Sarah will be visiting on Mon, Jan 19.")
    );
    let no_conditions: AutomationVersion = serde_json::from_value(json!({
        "trigger": {"event": "client.created"},
        "actions": [{"type": "send_sms", "to": "owner", "template": "New: {{ client.name }}"}]
    }))
    .unwrap();
    assert!(
        no_conditions
            .compile()
            .unwrap()
            .evaluate_sample()
            .unwrap()
            .conditions_passed
    );
}
