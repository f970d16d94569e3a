//! Routing: where an inbound text goes, and the trace of why.
//!
//! [`route`] is a pure function: no I/O, no clock (`now` is an input), no hash maps. Inputs
//! and decisions are stored as JSON and replayed later, so the same input must give the
//! same decision and the same trace, byte for byte.
//!
//! JSON shapes: struct fields are camelCase, enum values snake_case. [`Target`] is
//! internally tagged: `{"kind":"owner_inbox"}` or `{"kind":"sitter","sitterId":"…"}`.
//! [`Alert`], [`Class`] and [`NumberStatus`] are plain strings such as `"unmapped_inbound"`.

use serde::{Deserialize, Serialize};

use crate::{
    clock::{Millis, to_rfc3339},
    phone::redact,
};

pub const RULE_THREAD_VALIDATION: &str = "thread_validation";
pub const RULE_POOL_MISMATCH: &str = "pool_mismatch";
pub const RULE_OWNER_OVERRIDE: &str = "owner_override";
pub const RULE_ASSIGNMENT_WINDOW: &str = "assignment_window";

// Product copy: the UI and the stored decisions show these verbatim.
pub const REASON_UNMAPPED: &str = "Unmapped inbound message - routed to Owner Inbox";
pub const REASON_POOL_MISMATCH: &str = "Pool number mismatch";
pub const REASON_OVERRIDE: &str = "Active override";
pub const REASON_WINDOW: &str = "Active assignment window";
pub const REASON_NO_WINDOW: &str = "No active assignment window";
pub const REASON_OVERLAP: &str = "Overlapping assignment windows";

/// A business number's class. Mirrors `numbers::NumberClass`, kept here so a stored
/// routing input deserializes without depending on the store's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    FrontDesk,
    Sitter,
    Pool,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
            Self::Sitter => "sitter",
            Self::Pool => "pool",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    Active,
    Quarantined,
    Released,
}

impl NumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Quarantined => "quarantined",
            Self::Released => "released",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessNumber {
    pub number_id: String,
    pub class: Class,
    pub status: NumberStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadInfo {
    pub thread_id: String,
    pub closed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Target {
    OwnerInbox,
    Sitter { sitter_id: String },
}

impl Target {
    pub fn sitter(sitter_id: impl Into<String>) -> Self {
        Self::Sitter {
            sitter_id: sitter_id.into(),
        }
    }

    /// The token a trace step's `result` carries: `owner_inbox` or `sitter:<id>`.
    pub fn token(&self) -> String {
        match self {
            Self::OwnerInbox => "owner_inbox".to_owned(),
            Self::Sitter { sitter_id } => format!("sitter:{sitter_id}"),
        }
    }

    fn label(&self) -> String {
        match self {
            Self::OwnerInbox => "Owner Inbox".to_owned(),
            Self::Sitter { sitter_id } => format!("sitter {sitter_id}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Override {
    pub target: Target,
    pub until: Millis,
}

/// A sitter's assignment to a thread, active on the half-open range `[start_at, end_at)`
/// so back-to-back windows hand over without overlapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub window_id: String,
    pub sitter_id: String,
    pub start_at: Millis,
    pub end_at: Millis,
}

impl Window {
    pub fn is_active(&self, now: Millis) -> bool {
        self.start_at <= now && now < self.end_at
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingInput {
    pub now: Millis,
    /// The sender, E.164. Only ever appears redacted in the trace.
    pub from: String,
    /// `None`: the To number is not one of the org's.
    pub number: Option<BusinessNumber>,
    pub thread: Option<ThreadInfo>,
    /// For a pool number: the client it is mapped to (`None` = not mapped).
    pub pool_client: Option<String>,
    /// May have expired (`until <= now`), in which case it is ignored.
    pub active_override: Option<Override>,
    /// The thread's assignment windows, past, present and future.
    pub windows: Vec<Window>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceStep {
    pub step: u32,
    pub rule: String,
    pub condition: String,
    pub result: String,
    pub explanation: String,
}

/// What the caller must raise alongside delivering the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alert {
    UnmappedInbound,
    OverlappingWindows,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub target: Target,
    pub reason: String,
    pub trace: Vec<TraceStep>,
    /// Sent to the owner inbox because something is wrong or missing, not by choice.
    pub operational: bool,
    pub alert: Option<Alert>,
    /// Pool mismatch: reply to the sender pointing them at the front desk.
    pub auto_reply: bool,
}

impl Decision {
    /// One line per step for the UI, e.g. "Step 1: Thread validation".
    pub fn summary_lines(&self) -> Vec<String> {
        self.trace
            .iter()
            .map(|s| format!("Step {}: {}", s.step, s.explanation))
            .collect()
    }

    fn routed(target: Target, reason: &str) -> Self {
        Self {
            target,
            reason: reason.to_owned(),
            trace: Vec::new(),
            operational: false,
            alert: None,
            auto_reply: false,
        }
    }

    /// The owner inbox because something is wrong or missing, not by anyone's choice.
    fn fallback(reason: &str, alert: Option<Alert>) -> Self {
        Self {
            operational: true,
            alert,
            ..Self::routed(Target::OwnerInbox, reason)
        }
    }
}

/// A step as a rule reports it: passing, unnumbered, its explanation a bare headline.
fn step(rule: &str, condition: impl Into<String>, headline: impl Into<String>) -> TraceStep {
    TraceStep {
        step: 0,
        rule: rule.to_owned(),
        condition: condition.into(),
        result: "pass".to_owned(),
        explanation: headline.into(),
    }
}

/// Numbers the step and, if it decided, says where the message goes.
fn record(trace: &mut Vec<TraceStep>, mut step: TraceStep, decided: Option<&Decision>) {
    step.step = u32::try_from(trace.len() + 1).unwrap_or(u32::MAX);
    if let Some(d) = decided {
        step.result = d.target.token();
        step.explanation = format!("{} → Route to {}", step.explanation, d.target.label());
    }
    trace.push(step);
}

/// A rule's verdict when it applies: its step, and a decision (trace still empty) if it
/// decides.
type Eval = (TraceStep, Option<Decision>);
type Rule = fn(&RoutingInput) -> Option<Eval>;

/// Applies the rules in order: a rule that does not apply is skipped, one that applies
/// adds a step, and the first one that decides wins. The last one always decides.
pub fn route(input: &RoutingInput) -> Decision {
    let mut trace = Vec::new();
    let rules: [Rule; 3] = [thread_validation, pool_mismatch, owner_override];
    for (step, decided) in rules.iter().filter_map(|rule| rule(input)) {
        record(&mut trace, step, decided.as_ref());
        if let Some(decision) = decided {
            return Decision { trace, ..decision };
        }
    }
    let (step, decision) = assignment_window(input);
    record(&mut trace, step, Some(&decision));
    Decision { trace, ..decision }
}

/// Rule 1: a message we cannot attribute to a live number and thread never reaches a sitter.
fn thread_validation(input: &RoutingInput) -> Option<Eval> {
    let failed = |condition: String, why: &str| {
        let headline = format!("Thread validation failed: {why}");
        let unmapped = Decision::fallback(REASON_UNMAPPED, Some(Alert::UnmappedInbound));
        Some((
            step(RULE_THREAD_VALIDATION, condition, headline),
            Some(unmapped),
        ))
    };
    let Some(number) = &input.number else {
        return failed(
            "number = unknown".to_owned(),
            "the number is not one of the org's",
        );
    };
    let thread = match &input.thread {
        None => "new",
        Some(t) if t.closed => "closed",
        Some(_) => "open",
    };
    let (class, status) = (number.class.as_str(), number.status.as_str());
    let condition = format!("number class = {class}, status = {status}, thread = {thread}");
    if number.status != NumberStatus::Active {
        failed(condition, &format!("the number is {status}"))
    } else if number.class == Class::Pool && input.thread.as_ref().is_some_and(|t| t.closed) {
        // The pool number has moved on to other clients: a closed thread says nothing
        // about who is texting now. Other classes simply start a new thread.
        failed(condition, "the pool thread is closed")
    } else if number.class == Class::Pool && input.pool_client.is_none() {
        // A pool number lent to nobody: whoever texts it reached it by mistake or from an
        // old conversation, so nobody but the owner should see it.
        failed(condition, "the pool number is not mapped to a client")
    } else {
        Some((
            step(RULE_THREAD_VALIDATION, condition, "Thread validation"),
            None,
        ))
    }
}

/// Rule 2, pool numbers only: a pool number is lent to one client at a time, so a text
/// from anyone else is stale or misdirected, and the sender is pointed to the front desk.
fn pool_mismatch(input: &RoutingInput) -> Option<Eval> {
    if input.number.as_ref()?.class != Class::Pool {
        return None;
    }
    let (condition, headline, decided) = match &input.pool_client {
        Some(client) if *client != input.from => (
            format!(
                "pool client = {}, sender = {}",
                redact(client),
                redact(&input.from)
            ),
            "Pool number mismatch: the sender is not the mapped client",
            Some(Decision {
                auto_reply: true,
                ..Decision::fallback(REASON_POOL_MISMATCH, None)
            }),
        ),
        Some(client) => (
            format!("pool client = sender = {}", redact(client)),
            "Pool number matches the sender",
            None,
        ),
        // Unreachable in practice: thread validation stops unmapped pool numbers.
        None => (
            "pool client = none".to_owned(),
            "Pool number not mapped to a client",
            None,
        ),
    };
    Some((step(RULE_POOL_MISMATCH, condition, headline), decided))
}

/// Rule 3: the owner's explicit choice beats any schedule, until it expires.
fn owner_override(input: &RoutingInput) -> Option<Eval> {
    let now = to_rfc3339(input.now);
    let (condition, headline, decided) = match &input.active_override {
        Some(o) if o.until > input.now => (
            format!(
                "override until {} > now {now}, target = {}",
                to_rfc3339(o.until),
                o.target.token()
            ),
            REASON_OVERRIDE,
            Some(Decision::routed(o.target.clone(), REASON_OVERRIDE)),
        ),
        Some(o) => (
            format!("override until {} <= now {now}", to_rfc3339(o.until)),
            "No active override",
            None,
        ),
        None => ("override = none".to_owned(), "No active override", None),
    };
    Some((step(RULE_OWNER_OVERRIDE, condition, headline), decided))
}

/// Rule 4: exactly one sitter on duty gets the message; none, or an ambiguous schedule
/// the owner must fix, falls back to the owner inbox.
fn assignment_window(input: &RoutingInput) -> (TraceStep, Decision) {
    let mut active: Vec<&Window> = input
        .windows
        .iter()
        .filter(|w| w.is_active(input.now))
        .collect();
    // Sorted so the trace does not depend on the order the store listed the windows in.
    active.sort_by(|a, b| a.window_id.cmp(&b.window_id));
    let ids: Vec<&str> = active.iter().map(|w| w.window_id.as_str()).collect();
    let condition = format!(
        "windows = {}, active at now {} = [{}]",
        input.windows.len(),
        to_rfc3339(input.now),
        ids.join(", ")
    );
    let decision = match active.as_slice() {
        [] => Decision::fallback(REASON_NO_WINDOW, None),
        [w] => Decision::routed(Target::sitter(&w.sitter_id), REASON_WINDOW),
        _ => Decision::fallback(REASON_OVERLAP, Some(Alert::OverlappingWindows)),
    };
    let headline = decision.reason.clone();
    (step(RULE_ASSIGNMENT_WINDOW, condition, headline), decision)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, to_string, to_value};

    use super::*;
    use crate::phone::contains_unredacted;

    const CLIENT: &str = "+15551234567";
    const STRANGER: &str = "+15559876543";
    const NOW: Millis = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    const H: Millis = 3_600_000;

    fn window(id: &str, sitter: &str, start_at: Millis, end_at: Millis) -> Window {
        let (window_id, sitter_id) = (id.to_owned(), sitter.to_owned());
        Window {
            window_id,
            sitter_id,
            start_at,
            end_at,
        }
    }

    fn overriding(target: Target, until: Millis) -> Option<Override> {
        Some(Override { target, until })
    }

    /// The demo case: a client texts the front desk on an open thread, nothing scheduled.
    fn base() -> RoutingInput {
        RoutingInput {
            now: NOW,
            from: CLIENT.to_owned(),
            number: Some(BusinessNumber {
                number_id: "n1".to_owned(),
                class: Class::FrontDesk,
                status: NumberStatus::Active,
            }),
            thread: Some(ThreadInfo {
                thread_id: "t1".to_owned(),
                closed: false,
            }),
            pool_client: None,
            active_override: None,
            windows: Vec::new(),
        }
    }

    fn with(change: impl FnOnce(&mut RoutingInput)) -> RoutingInput {
        let mut input = base();
        change(&mut input);
        input
    }

    fn pool(client: Option<&str>, change: impl FnOnce(&mut RoutingInput)) -> RoutingInput {
        with(|i| {
            i.number.as_mut().unwrap().class = Class::Pool;
            i.pool_client = client.map(str::to_owned);
            change(i);
        })
    }

    /// A number in `status`, with a live override and window that must not rescue it.
    fn with_status(status: NumberStatus) -> RoutingInput {
        with(|i| {
            i.number.as_mut().unwrap().status = status;
            i.active_override = overriding(Target::sitter("s9"), NOW + H);
            i.windows = vec![window("w1", "s1", NOW - H, NOW + H)];
        })
    }

    /// "target | reason | flags…", and the steps as "rule=result rule=result…".
    fn brief(d: &Decision) -> (String, String) {
        let mut head = vec![d.target.token(), d.reason.clone()];
        if d.operational {
            head.push("operational".to_owned());
        }
        if let Some(alert) = d.alert {
            head.push(format!("alert {alert:?}"));
        }
        if d.auto_reply {
            head.push("auto_reply".to_owned());
        }
        let steps: Vec<String> = d
            .trace
            .iter()
            .map(|s| format!("{}={}", s.rule, s.result))
            .collect();
        (head.join(" | "), steps.join(" "))
    }

    const UNMAPPED: &str = "owner_inbox | Unmapped inbound message - routed to Owner Inbox | operational | alert UnmappedInbound";
    const NO_WINDOW: &str = "owner_inbox | No active assignment window | operational";
    const OVERLAP: &str =
        "owner_inbox | Overlapping assignment windows | operational | alert OverlappingWindows";
    const MISMATCH: &str = "owner_inbox | Pool number mismatch | operational | auto_reply";
    const TO_S1: &str = "sitter:s1 | Active assignment window";

    const STOP_1: &str = "thread_validation=owner_inbox";
    const TO_OWNER_3: &str =
        "thread_validation=pass owner_override=pass assignment_window=owner_inbox";
    const TO_S1_3: &str = "thread_validation=pass owner_override=pass assignment_window=sitter:s1";
    const TO_OWNER_4: &str = "thread_validation=pass pool_mismatch=pass owner_override=pass assignment_window=owner_inbox";
    const TO_S1_4: &str =
        "thread_validation=pass pool_mismatch=pass owner_override=pass assignment_window=sitter:s1";

    /// (name, input, decision head, steps), one per rule outcome and boundary.
    #[rustfmt::skip]
    fn cases() -> Vec<(&'static str, RoutingInput, &'static str, &'static str)> {
        let on_duty = || vec![window("w1", "s1", NOW - H, NOW + H)];
        let to_s9 = || overriding(Target::sitter("s9"), NOW + H);
        vec![
            ("demo: nothing scheduled", base(), NO_WINDOW, TO_OWNER_3),
            ("one active window among past and future", with(|i| i.windows = vec![
                window("w0", "s0", NOW - 2 * H, NOW - H), window("w1", "s1", NOW - H, NOW + H),
                window("w2", "s2", NOW + H, NOW + 2 * H)]), TO_S1, TO_S1_3),
            ("window starting now is active", with(|i| i.windows = vec![window("w1", "s1", NOW, NOW + H)]), TO_S1, TO_S1_3),
            ("window ending now is not", with(|i| i.windows = vec![window("w1", "s1", NOW - H, NOW)]), NO_WINDOW, TO_OWNER_3),
            ("back-to-back handover is no overlap", with(|i| i.windows = vec![
                window("w0", "s0", NOW - H, NOW), window("w1", "s1", NOW, NOW + H)]), TO_S1, TO_S1_3),
            ("overlapping windows", with(|i| i.windows = vec![
                window("w1", "s1", NOW - H, NOW + H), window("w2", "s2", NOW, NOW + 1)]), OVERLAP, TO_OWNER_3),
            ("override to the owner beats a window", with(|i| {
                i.active_override = overriding(Target::OwnerInbox, NOW + 1);
                i.windows = on_duty();
            }), "owner_inbox | Active override", "thread_validation=pass owner_override=owner_inbox"),
            ("override to a sitter", with(|i| i.active_override = to_s9()),
                "sitter:s9 | Active override", "thread_validation=pass owner_override=sitter:s9"),
            ("override expiring now is ignored", with(|i| {
                i.active_override = overriding(Target::sitter("s9"), NOW);
                i.windows = on_duty();
            }), TO_S1, TO_S1_3),
            ("unknown number", with(|i| i.number = None), UNMAPPED, STOP_1),
            ("quarantined number", with_status(NumberStatus::Quarantined), UNMAPPED, STOP_1),
            ("released number", with_status(NumberStatus::Released), UNMAPPED, STOP_1),
            ("pool number, closed thread", pool(Some(CLIENT), |i| {
                i.thread.as_mut().unwrap().closed = true;
                i.windows = on_duty();
            }), UNMAPPED, STOP_1),
            ("front desk, closed thread", with(|i| i.thread.as_mut().unwrap().closed = true), NO_WINDOW, TO_OWNER_3),
            ("sitter number", with(|i| {
                i.number.as_mut().unwrap().class = Class::Sitter;
                i.windows = on_duty();
            }), TO_S1, TO_S1_3),
            ("pool number, sender is the client", pool(Some(CLIENT), |i| i.windows = on_duty()), TO_S1, TO_S1_4),
            ("pool number, new thread", pool(Some(CLIENT), |i| i.thread = None), NO_WINDOW, TO_OWNER_4),
            ("pool number, not mapped", pool(None, |i| i.windows = on_duty()), UNMAPPED, STOP_1),
            ("pool mismatch beats override and window", pool(Some(STRANGER), |i| {
                i.active_override = to_s9();
                i.windows = on_duty();
            }), MISMATCH, "thread_validation=pass pool_mismatch=owner_inbox"),
        ]
    }

    #[test]
    fn routes_by_the_rules_in_order() {
        for (name, input, head, steps) in cases() {
            let d = route(&input);
            assert_eq!(brief(&d), (head.to_owned(), steps.to_owned()), "{name}");
            let numbers: Vec<u32> = d.trace.iter().map(|s| s.step).collect();
            assert_eq!(
                numbers,
                (1..=d.trace.len() as u32).collect::<Vec<_>>(),
                "{name}"
            );
            let json = to_string(&d.trace).unwrap();
            assert!(!contains_unredacted(&json), "{name}: {json}");
        }
    }

    #[test]
    fn is_deterministic_and_replays_from_json() {
        for (name, input, ..) in cases() {
            let d = route(&input);
            assert_eq!(route(&input), d, "{name}");
            let stored: RoutingInput = serde_json::from_str(&to_string(&input).unwrap()).unwrap();
            assert_eq!(route(&stored), d, "{name}");
            let replayed: Decision = serde_json::from_str(&to_string(&d).unwrap()).unwrap();
            assert_eq!(replayed, d, "{name}");
            // The store may list windows in any order; the trace must not notice.
            let windows = input.windows.iter().rev().cloned().collect();
            assert_eq!(route(&RoutingInput { windows, ..input }), d, "{name}");
        }
    }

    #[test]
    fn demo_trace_reads_like_the_product() {
        let d = route(&base());
        let lines = [
            "Step 1: Thread validation",
            "Step 2: No active override",
            "Step 3: No active assignment window → Route to Owner Inbox",
        ];
        assert_eq!(d.summary_lines(), lines);
        let conditions: Vec<&str> = d.trace.iter().map(|s| s.condition.as_str()).collect();
        let checked = [
            "number class = front_desk, status = active, thread = open",
            "override = none",
            "windows = 0, active at now 2026-01-01T00:00:00.000Z = []",
        ];
        assert_eq!(conditions, checked);
    }

    #[test]
    fn deciding_steps_explain_themselves() {
        let last = |input: RoutingInput| route(&input).trace.pop().unwrap();
        let step = last(with_status(NumberStatus::Quarantined));
        let why = "Thread validation failed: the number is quarantined → Route to Owner Inbox";
        assert_eq!(step.explanation, why);
        let step = last(with(|i| {
            i.active_override = overriding(Target::sitter("s9"), NOW + H)
        }));
        assert_eq!(step.explanation, "Active override → Route to sitter s9");
        let step = last(with(|i| {
            i.windows = vec![window("w1", "s1", NOW, NOW + H); 2]
        }));
        assert_eq!(
            step.explanation,
            "Overlapping assignment windows → Route to Owner Inbox"
        );
        let active = "windows = 2, active at now 2026-01-01T00:00:00.000Z = [w1, w1]";
        assert_eq!(step.condition, active);
    }

    #[test]
    fn json_shapes() {
        assert_eq!(
            to_value(Target::OwnerInbox).unwrap(),
            json!({"kind": "owner_inbox"})
        );
        let sitter = json!({"kind": "sitter", "sitterId": "s1"});
        assert_eq!(to_value(Target::sitter("s1")).unwrap(), sitter);
        let input = to_value(pool(Some(CLIENT), |i| {
            i.active_override = overriding(Target::OwnerInbox, 5);
            i.windows = vec![window("w1", "s1", 0, 1)];
        }))
        .unwrap();
        let number = json!({"numberId": "n1", "class": "pool", "status": "active"});
        assert_eq!(input["number"], number);
        assert_eq!(input["thread"], json!({"threadId": "t1", "closed": false}));
        assert_eq!(input["poolClient"], json!(CLIENT));
        let until = json!({"target": {"kind": "owner_inbox"}, "until": 5});
        assert_eq!(input["activeOverride"], until);
        let w1 = json!({"windowId": "w1", "sitterId": "s1", "startAt": 0, "endAt": 1});
        assert_eq!(input["windows"][0], w1);
        let d = to_value(route(&pool(Some(STRANGER), |_| {}))).unwrap();
        assert_eq!(d["target"], json!({"kind": "owner_inbox"}));
        assert_eq!((&d["alert"], &d["autoReply"]), (&json!(null), &json!(true)));
        let step = json!({
            "step": 2,
            "rule": "pool_mismatch",
            "condition": "pool client = +1555****6543, sender = +1555****4567",
            "result": "owner_inbox",
            "explanation": "Pool number mismatch: the sender is not the mapped client → Route to Owner Inbox",
        });
        assert_eq!(d["trace"][1], step);
        let alert = to_value(route(&with_status(NumberStatus::Released))).unwrap()["alert"].clone();
        assert_eq!(alert, json!("unmapped_inbound"));
    }
}
