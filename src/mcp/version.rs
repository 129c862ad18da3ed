//! Protocol versions served, and what each one allows.

use std::fmt;

/// A protocol version this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// Legacy HTTP+SSE transport.
    V2024_11_05,
    V2025_03_26,
    V2025_06_18,
    V2025_11_25,
    /// Stateless: no session, version and capabilities in every request's `_meta`.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every version, newest first (the order of `supported` lists).
    pub const ALL: [ProtocolVersion; 5] = [
        ProtocolVersion::V2026_07_28,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];
    /// The newest version negotiated by `initialize`.
    pub const LATEST_HANDSHAKE: ProtocolVersion = ProtocolVersion::V2025_11_25;
    /// The version assumed when a Streamable HTTP request has no `MCP-Protocol-Version`.
    pub const DEFAULT_HTTP: ProtocolVersion = ProtocolVersion::V2025_03_26;

    /// The wire form, e.g. `2025-11-25`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a wire form; `None` for versions this server does not speak.
    pub fn parse(s: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The supported versions as wire strings, newest first.
    pub fn supported() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }

    /// Stateless era (per-request `_meta`, no `initialize`).
    pub fn is_stateless(self) -> bool {
        self >= ProtocolVersion::V2026_07_28
    }

    /// JSON-RPC batches are allowed (2025-03-26 only).
    pub fn allows_batches(self) -> bool {
        self == ProtocolVersion::V2025_03_26
    }

    /// Tools may carry `outputSchema` and results `structuredContent`.
    pub fn has_structured_content(self) -> bool {
        self >= ProtocolVersion::V2025_06_18
    }

    /// Experimental tasks of 2025-11-25 (`tasks/get`, `tasks/result`, ...).
    pub fn has_legacy_tasks(self) -> bool {
        self == ProtocolVersion::V2025_11_25
    }

    /// Whether this version has the client-to-server request `method`: the one place that
    /// knows which methods come and go between versions.
    pub fn has_method(self, method: &str) -> bool {
        match method {
            "server/discover" | "subscriptions/listen" | "tasks/update" => self.is_stateless(),
            "initialize" | "resources/subscribe" | "resources/unsubscribe" | "logging/setLevel" => {
                !self.is_stateless()
            }
            "tasks/list" | "tasks/result" => self.has_legacy_tasks(),
            "tasks/get" | "tasks/cancel" => self.has_legacy_tasks() || self.is_stateless(),
            _ => true,
        }
    }

    /// The version `initialize` answers for a requested one: the same when we speak it and it
    /// uses the handshake, else the newest handshake version.
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        match Self::parse(requested) {
            Some(v) if !v.is_stateless() => v,
            _ => Self::LATEST_HANDSHAKE,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_falls_back_to_the_newest_handshake_version() {
        assert_eq!(
            ProtocolVersion::negotiate("2025-06-18"),
            ProtocolVersion::V2025_06_18
        );
        assert_eq!(
            ProtocolVersion::negotiate("2026-07-28"),
            ProtocolVersion::V2025_11_25
        );
        assert_eq!(
            ProtocolVersion::negotiate("1999-01-01"),
            ProtocolVersion::V2025_11_25
        );
    }

    #[test]
    fn wire_forms_round_trip() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(v));
        }
    }
}
