//! automations
