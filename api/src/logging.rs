//! Structured logs with every phone number redacted (`+1555****3456`).
//!
//! Redaction happens in the writer, on the formatted line, so no call site can forget
//! it: whatever a log line carries, an E.164 number never reaches the output whole.

use std::io::{self, Write};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// Wraps a writer; each formatted event is redacted before it is written.
#[derive(Clone)]
pub struct Redacting<W>(pub W);

pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let text = String::from_utf8_lossy(&self.buf);
            self.inner
                .write_all(engine::phone::redact_text(&text).as_bytes())?;
            self.buf.clear();
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            buf: Vec::with_capacity(256),
        }
    }
}

/// Installs the process-wide subscriber: `RUST_LOG` filters (default `info`), `json`
/// or `text` lines on stdout.
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,apalis=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(Redacting(io::stdout));
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_redacted() {
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter {
                inner: &mut out,
                buf: Vec::new(),
            };
            write!(w, "from=+15551234567 ").unwrap();
            write!(w, "to=+15551111111").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "from=+1555****4567 to=+1555****1111"
        );
    }
}
