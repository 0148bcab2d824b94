//! Where accepted requests go: the receiver calls [`Sink::accept`] before it answers 200,
//! so whatever the sink kept is exactly what was acknowledged.

/// Takes each accepted request as one OTLP/JSON line (ending in `\n`).
pub trait Sink: Send + Sync + 'static {
    /// `Ok` means the line is kept (saved, handed on) and the client may be told so; an
    /// error is answered 503 so the client retries, and nothing is acknowledged.
    fn accept(&self, line: Vec<u8>) -> std::io::Result<()>;
}

/// Any `Fn(Vec<u8>) -> io::Result<()>` is a sink (tests, benchmarks).
impl<F> Sink for F
where
    F: Fn(Vec<u8>) -> std::io::Result<()> + Send + Sync + 'static,
{
    fn accept(&self, line: Vec<u8>) -> std::io::Result<()> {
        self(line)
    }
}
