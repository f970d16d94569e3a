//! CSV as RFC 4180 has it: a field with a comma, quote or line break is quoted, quotes
//! doubled; lines end in CRLF. Text that others wrote (a client's name, an inbound SMS)
//! also passes through [`inert`], so a spreadsheet never runs it as a formula.

use std::borrow::Cow;

/// A CSV file being written, header first.
pub struct Csv(String);

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Self(String::new());
        csv.row(header);
        csv
    }

    pub fn row(&mut self, fields: &[&str]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            if field.contains([',', '"', '\r', '\n']) {
                self.0.push('"');
                self.0.push_str(&field.replace('"', "\"\""));
                self.0.push('"');
            } else {
                self.0.push_str(field);
            }
        }
        self.0.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// Free text that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first) gets a leading `'`, as OWASP advises for CSV injection.
pub fn inert(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut csv = Csv::new(&["name", "body"]);
        csv.row(&["Smith, John", "He said \"hi\"\nthen left"]);
        csv.row(&["plain", ""]);
        assert_eq!(
            csv.finish(),
            "name,body\r\n\"Smith, John\",\"He said \"\"hi\"\"\nthen left\"\r\nplain,\r\n"
        );
    }

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("-2+3"), "'-2+3");
        assert_eq!(inert("John Smith"), "John Smith");
        assert!(matches!(inert("a = b"), Cow::Borrowed(_)));
    }
}
