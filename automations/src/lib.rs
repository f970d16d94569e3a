//! The owner-programmable part of Switchboard: the Rhai sandbox, the trigger catalogue,
//! conditions, actions and the minijinja message templates that turn an event into a plan
//! of actions. Pure: no I/O, no SQL, no HTTP. The engine carries plans out (or, in a test
//! run, records them); nothing here can send a text by itself.
//!
//! Empty until the automations issue lands; the crate exists so the dependency direction
//! `api → engine → automations` is fixed from the start.
