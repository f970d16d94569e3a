//! Placeholder until the real detector lands: digits only.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationType {
    Phone,
    Email,
    Url,
    Social,
    Payment,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: ViolationType,
    pub start: usize,
    pub end: usize,
}

pub fn scan(text: &str) -> Vec<Finding> {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits >= 7 {
        vec![Finding {
            kind: ViolationType::Phone,
            start: 0,
            end: text.len(),
        }]
    } else {
        Vec::new()
    }
}

pub fn redact(text: &str, findings: &[Finding]) -> String {
    if findings.is_empty() {
        text.to_owned()
    } else {
        "[phone removed]".to_owned()
    }
}
