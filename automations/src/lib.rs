//! The owner-programmable part of Switchboard (draft doc, rewritten below).

pub mod conditions;
pub mod plan;
mod problem;
pub mod script;
pub mod templates;
pub mod triggers;

pub use problem::{Invalid, Problem};
