//! Error chains for the server log: a 500 logs its error and every cause once, in one line;
//! the answer itself never carries them.

use std::error::Error;

/// A failure of another layer, as an internal error holds it: what was being done, and the
/// layer's own error, kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct Failure {
    /// What was being done ("scans", "serialising a result").
    pub context: &'static str,
    /// The layer's error, with its own causes.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

impl Failure {
    /// `source` failed while doing `context`.
    pub fn new(context: &'static str, source: impl Into<Box<dyn Error + Send + Sync>>) -> Failure {
        Failure {
            context,
            source: source.into(),
        }
    }
}

/// `err` and each of its [`Error::source`]s, joined by `": "`. A cause whose text is already
/// in the line (many variants print their cause as well as keep it) is not repeated.
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("cannot answer")]
        Quiet(#[source] Middle),
        #[error("cannot answer: {0}")]
        Loud(#[source] Middle),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn every_cause_once() {
        let io = || std::io::Error::other("disk full");
        assert_eq!(
            chain(&Outer::Quiet(Middle(io()))),
            "cannot answer: cannot write: disk full"
        );
        assert_eq!(
            chain(&Outer::Loud(Middle(io()))),
            "cannot answer: cannot write: disk full"
        );
    }
}
