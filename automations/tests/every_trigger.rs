//! Every trigger's sample passes its own checks: a condition over each of its fields
//! compiles and matches, and a template naming each field checks, previews and plans.

use automations::conditions::{ConditionGroup, ConditionRow, Conditions, Match, Operator};
use automations::plan::{Action, AutomationVersion, Recipient};
use automations::templates::{self, Audience};
use automations::triggers::{FieldKind, Trigger, TriggerSpec, fields, sample};
use serde_json::Value;

fn spec(trigger: Trigger) -> TriggerSpec {
    let json = match trigger {
        Trigger::AppointmentUpcoming => {
            serde_json::json!({"event": trigger.as_str(), "offset_minutes": 1440})
        }
        Trigger::Schedule => serde_json::json!({"event": "schedule", "cron": "0 10 * * Mon"}),
        _ => serde_json::json!({"event": trigger.as_str()}),
    };
    serde_json::from_value(json).unwrap()
}

/// Each field with the value the sample holds: `equals` for scalars, `has_tag` or
/// `is_empty`/`is_not_empty` for the rest.
fn rows_matching_the_sample(trigger: Trigger) -> Vec<ConditionRow> {
    let payload = sample(trigger);
    let mut rows = Vec::new();
    for object in trigger.objects() {
        for (path, field) in fields::paths(*object) {
            let value = path
                .split('.')
                .try_fold(&payload, |v, k| v.get(k))
                .cloned()
                .unwrap_or(Value::Null);
            let (operator, value) = match (field.kind, &value) {
                (_, Value::Null) => (Operator::IsEmpty, Value::Null),
                (FieldKind::Object(_), _) => (Operator::IsNotEmpty, Value::Null),
                (FieldKind::TextList, Value::Array(items)) if !items.is_empty() => {
                    (Operator::HasTag, items[0].clone())
                }
                (FieldKind::TextList, _) => (Operator::IsEmpty, Value::Null),
                _ => (Operator::Equals, value),
            };
            rows.push(ConditionRow {
                field: path,
                operator,
                value,
            });
        }
    }
    rows
}

fn template_naming_every_field(trigger: Trigger) -> String {
    let mut parts = Vec::new();
    for object in trigger.objects() {
        for (path, field) in fields::paths(*object) {
            if matches!(field.kind, FieldKind::Object(_)) {
                continue;
            }
            // A nested object may be null in this sample.
            let parent = path.rsplit_once('.').map(|(p, _)| p).unwrap_or_default();
            parts.push(format!(
                "{{% if {parent} %}}{path}={{{{ {path} }}}}{{% endif %}}"
            ));
        }
    }
    parts.join("\n")
}

#[test]
fn every_trigger_has_a_sample_that_passes_its_own_checks() {
    for trigger in Trigger::ALL {
        let template = template_naming_every_field(trigger);
        templates::check(&template, trigger, Audience::Owner)
            .unwrap_or_else(|e| panic!("{trigger}: {e}"));
        let preview = templates::preview(&template, trigger, Audience::Owner).unwrap();
        assert!(preview.text.contains("org.time_zone=America/New_York"));

        let version = AutomationVersion {
            trigger: spec(trigger),
            conditions: Conditions::Builder(ConditionGroup {
                mode: Match::All,
                rows: rows_matching_the_sample(trigger),
                groups: vec![],
            }),
            actions: vec![
                Action::SendSms {
                    to: Recipient::Client,
                    template: "Hi {{ client.first_name }} from {{ org.name }}".to_owned(),
                },
                Action::NotifyOwner {
                    title: format!("{trigger} for {{{{ client.name }}}}"),
                    template: template.clone(),
                },
            ],
        };
        let compiled = version
            .compile()
            .unwrap_or_else(|e| panic!("{trigger}: {e}"));
        let evaluation = compiled.evaluate_sample().unwrap();
        assert!(
            evaluation.conditions_passed,
            "{trigger}: {:?}",
            evaluation.condition_trace
        );
        assert!(evaluation.condition_trace.iter().all(|c| c.passed));
        assert!(evaluation.is_ok(), "{trigger}: {:?}", evaluation.steps);
        assert_eq!(
            evaluation.steps[1].rendered_text.as_deref(),
            Some(preview.text.as_str())
        );
    }
}

#[test]
fn every_trigger_is_documented() {
    for trigger in Trigger::ALL {
        assert!(!trigger.description().is_empty());
        assert!(trigger.has(automations::triggers::Object::Org), "{trigger}");
        assert!(
            trigger.has(automations::triggers::Object::Client),
            "{trigger}"
        );
        for object in trigger.objects() {
            for (path, field) in fields::paths(*object) {
                assert!(!field.description.is_empty(), "{path}");
            }
        }
    }
}
