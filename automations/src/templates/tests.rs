use serde_json::json;

use super::*;
use crate::triggers::fields::paths;

fn owner(template: &str, trigger: Trigger) -> Result<(), TemplateError> {
    check(template, trigger, Audience::Owner)
}

fn sample_text(template: &str, trigger: Trigger) -> String {
    render(template, &sample(trigger)).unwrap()
}

#[test]
fn every_field_of_every_trigger_checks_and_renders_against_the_sample() {
    for trigger in Trigger::ALL {
        let mut lines = Vec::new();
        for object in trigger.objects() {
            for (path, field) in paths(*object) {
                if !matches!(field.kind, FieldKind::Object(_))
                    && !path.starts_with("booking.sitter")
                {
                    lines.push(format!("{path}={{{{ {path} }}}}"));
                }
            }
        }
        let template = lines.join("\n");
        owner(&template, trigger).unwrap_or_else(|e| panic!("{trigger}: {e}"));
        let text = sample_text(&template, trigger);
        assert!(text.contains("org.name=Snout Pet Care"), "{text}");
    }
}

#[test]
fn an_unknown_variable_is_named_with_its_line() {
    let err = owner(
        "Hi {{ client.first_name }},\nsee you {{ booking.start | datetime }}\n{{ client.nmae }}",
        Trigger::BookingCreated,
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UnknownVariable);
    assert!(err.message.contains("`client.nmae`"), "{}", err.message);
    assert_eq!(err.line, Some(3));
    assert_eq!(err.to_string(), "line 3: unknown variable `client.nmae`");

    let err = owner(
        "Hi {{ client.first_name }}, {{ sitter.first_name }} is coming",
        Trigger::BookingCreated,
    )
    .unwrap_err();
    assert!(err.message.contains("`sitter`"), "{}", err.message);
    assert!(
        err.message.contains("org, client, booking"),
        "{}",
        err.message
    );
    assert_eq!(err.line, Some(1));
}

#[test]
fn loop_and_set_variables_and_globals_are_not_unknown() {
    let t = Trigger::ClientCreated;
    owner("{% set n = client.first_name %}{{ n }}", t).unwrap();
    owner(
        "{% for tag in client.tags %}{{ tag }} {% endfor %}{{ client.name }}",
        t,
    )
    .unwrap();
    owner("{{ range(3) | join(',') }}", t).unwrap();
    owner(
        "{{ client.first_name | upper }} {{ client.name | lower | title }}",
        t,
    )
    .unwrap();
}

#[test]
fn syntax_errors_carry_their_line() {
    let err = owner(
        "Hi {{ client.first_name }}\nSee you {{ booking.start }",
        Trigger::BookingCreated,
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert_eq!(err.line, Some(2));
    let err = owner("{% if client.opted_out %}\nbye", Trigger::ClientCreated).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
}

#[test]
fn undefined_values_are_errors_when_rendering() {
    let mut payload = sample(Trigger::ClientCreated);
    payload["client"]
        .as_object_mut()
        .unwrap()
        .remove("first_name");
    let err = render("Hi\n{{ client.first_name }}!", &payload).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
    assert_eq!(err.line, Some(2));
    // Strict: not even a truthiness test passes over it quietly.
    let err = render("{% if client.nickname %}x{% endif %}y", &payload).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
    // A misused attribute is caught at save time by the sample render.
    let err = owner("{{ client.first_name.nope }}", Trigger::ClientCreated).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
}

#[test]
fn times_are_shown_in_the_org_time_zone() {
    let t = Trigger::BookingAssigned;
    assert_eq!(
        sample_text("{{ booking.start | datetime }}", t),
        "Mon, Jan 19 at 10:00 AM"
    );
    assert_eq!(sample_text("{{ booking.start | date }}", t), "Mon, Jan 19");
    assert_eq!(sample_text("{{ booking.end | time }}", t), "11:00 AM");
    assert_eq!(
        sample_text(r#"{{ booking.start | datetime("%A %B %-d, %H:%M") }}"#, t),
        "Monday January 19, 10:00"
    );
    let mut london = sample(t);
    london["org"]["time_zone"] = json!("Europe/London");
    assert_eq!(
        render("{{ booking.start | time }}", &london).unwrap(),
        "3:00 PM"
    );
    // No org (or an unknown zone): UTC.
    let bare = json!({"booking": {"start": "2026-01-19T15:00:00Z"}});
    assert_eq!(
        render("{{ booking.start | time }}", &bare).unwrap(),
        "3:00 PM"
    );
    let err = render(r#"{{ booking.start | datetime("%Q") }}"#, &sample(t)).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Render);
    let err = render("{{ client.name | datetime }}", &sample(t)).unwrap_err();
    assert!(err.message.contains("not a date"), "{}", err.message);
}

#[test]
fn first_name_filter_takes_the_first_word() {
    let t = Trigger::BookingAssigned;
    assert_eq!(
        sample_text(
            "{{ sitter.name | first_name }} will visit {{ client.name | first_name }}",
            t
        ),
        "Sarah will visit John"
    );
}

#[test]
fn texts_are_plain_not_html() {
    let t = Trigger::MessageReceived;
    let mut payload = sample(t);
    payload["message"]["body"] = json!("<b>Tom & Jerry's</b> \"walk\"");
    assert_eq!(
        render("{{ message.body }}", &payload).unwrap(),
        "<b>Tom & Jerry's</b> \"walk\""
    );
}

#[test]
fn runaway_templates_stop() {
    let t = Trigger::ClientCreated;
    let err = owner("{% for i in range(100000) %}{% endfor %}x", t).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    let err = owner(
        "{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(0) }}",
        t,
    )
    .unwrap_err();
    assert!(
        matches!(
            err.kind,
            TemplateErrorKind::Limit | TemplateErrorKind::Render
        ),
        "{err:?}"
    );
    let err = owner(r#"{{ "x" * 1000000000 }}"#, t).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Render);
    let err = owner(r#"{{ "x" * 2000 }}"#, t).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::TooLong);
    let err = owner(&"x".repeat(MAX_TEMPLATE_LEN + 1), t).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::TooLong);
}

#[test]
fn empty_texts_are_refused() {
    let err = owner(
        "  {% if client.opted_out %}bye{% endif %}\n",
        Trigger::ClientCreated,
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Empty);
    assert_eq!(
        sample_text(
            "\n  Hi {{ client.first_name }}!  \n",
            Trigger::ClientCreated
        ),
        "Hi John!"
    );
}

#[test]
fn no_debug_and_no_include() {
    let t = Trigger::ClientCreated;
    assert!(owner("{{ debug() }}", t).is_err());
    assert!(owner(r#"{% include "secrets.txt" %}"#, t).is_err());
}

#[test]
fn sitters_never_see_the_client_phone_or_email() {
    let t = Trigger::BookingAssigned;
    let sitter = |s| check(s, t, Audience::Sitter);
    let err = sitter("Call {{ client.phone }}").unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UnknownVariable);
    assert!(
        err.message.contains("never shown to sitters"),
        "{}",
        err.message
    );
    assert!(sitter("{{ client.email }}").is_err());
    assert!(check("Call {{ client.phone }}", t, Audience::Owner).is_ok());
    assert!(sitter("{{ client.first_name }} on {{ booking.start | date }}").is_ok());
    // Around the check: the render itself has no phone to give.
    let payload = sample(t);
    let whole = render_for("{{ client }}", &payload, Audience::Sitter).unwrap();
    assert!(!whole.contains("+1555"), "{whole}");
    assert!(!whole.contains("example.com"), "{whole}");
    assert!(whole.contains("John"), "{whole}");
    let err = render_for(r#"{{ client["phone"] }}"#, &payload, Audience::Sitter).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
    // Private fields are direct children of their object, which is what the render drops.
    for object in Object::ALL {
        for (path, field) in paths(object) {
            if field.private {
                assert_eq!(path.matches('.').count(), 1, "{path}");
            }
        }
    }
}

#[test]
fn the_preview_counts_segments() {
    let t = Trigger::AppointmentUpcoming;
    let p = preview(
        "Hi {{ client.first_name }}! Reminder: {{ booking.service_type }} on {{ booking.start | datetime }}.",
        t,
        Audience::Client,
    )
    .unwrap();
    assert_eq!(
        p.text,
        "Hi John! Reminder: dog_walk on Mon, Jan 19 at 10:00 AM."
    );
    assert_eq!(p.segments.encoding, Encoding::Gsm7);
    assert_eq!(p.segments.segments, 1);
    assert_eq!(p.segments.units, p.text.len());
    let long = preview(
        &format!("{{{{ client.first_name }}}} 🐶 {}", "a".repeat(70)),
        t,
        Audience::Client,
    )
    .unwrap();
    assert_eq!(long.segments.encoding, Encoding::Ucs2);
    assert_eq!(long.segments.segments, 2);
    assert!(preview("{{ nope }}", t, Audience::Client).is_err());
}
