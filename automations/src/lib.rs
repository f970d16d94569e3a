//! The owner-programmable part of Switchboard: the trigger catalogue, the Rhai sandbox,
//! conditions, message templates and the action plan that turn one event into what an
//! automation would do. Pure: no I/O, no SQL, no HTTP, no async. The engine stores
//! versions and executions, runs the jobs and carries plans out (or, in Test Mode,
//! records them); nothing here can send a text by itself.
//!
//! - [`triggers`]: [`Trigger`](triggers::Trigger) (`client.created` … `schedule`), each
//!   with its payload's [`Object`](triggers::Object)s and documented
//!   [`Field`](triggers::Field)s, typed payload structs ([`triggers::payload`]), a realistic
//!   [`sample`](triggers::sample), [`TriggerSpec`](triggers::TriggerSpec) (a trigger with
//!   its settings: the `appointment.upcoming` offset, the `schedule` cron), and
//!   [`Schedule`](triggers::Schedule): five-field crontabs, next fire times in an IANA zone.
//! - [`script`]: [`Sandbox`](script::Sandbox), one shared Rhai engine with limits and a
//!   wall-clock deadline; `compile` (on save, strict variables, errors with line and
//!   column) and `run_condition` over a [`ScriptInput`](script::ScriptInput).
//! - [`conditions`]: builder rows `{field, operator, value}` in `all`/`any` groups, or a
//!   hand-written script; validated against the trigger's fields, compiled to Rhai, and
//!   evaluated to a verdict plus a per-row trace.
//! - [`templates`]: minijinja for texts (plain, strict undefined, fuel-limited):
//!   [`check`](templates::check) on save, [`render_for`](templates::render_for) per
//!   reader (a sitter never sees the client's phone or email), [`preview`](templates::preview)
//!   with the SMS [`segments`](templates::segments) count, and the `datetime`, `date`,
//!   `time` and `first_name` filters (times shown in the org's time zone).
//! - [`plan`]: [`AutomationVersion`](plan::AutomationVersion) (trigger, conditions,
//!   [`Action`](plan::Action)s), `compile` → [`CompiledAutomation`](plan::CompiledAutomation)
//!   or every [`Problem`] at once, and [`evaluate`](plan::evaluate) →
//!   [`Evaluation`](plan::Evaluation): the one call behind both test and live runs.
//!
//! Rhai runs are synchronous and may take up to the sandbox's deadline (50 ms): callers
//! in async code go through `spawn_blocking`.

pub mod conditions;
pub mod plan;
mod problem;
pub mod script;
pub mod templates;
pub mod triggers;

pub use problem::{Invalid, Problem};
