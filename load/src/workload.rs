//! The scripted workload: which transport each session uses and which tool calls it makes.

use std::str::FromStr;

use rand::Rng;
use serde_json::{Value, json};

use crate::session::Transport;

/// Weighted choices parsed from `name=weight,name=weight`.
#[derive(Clone, Debug)]
pub struct Weights<T> {
    entries: Vec<(T, u32)>,
    total: u32,
}

impl<T: Copy> Weights<T> {
    /// The entry at position `n` of the repeating weighted sequence (deterministic).
    pub fn nth(&self, n: usize) -> T {
        let mut at = (n % self.total as usize) as u32;
        for (item, weight) in &self.entries {
            if at < *weight {
                return *item;
            }
            at -= weight;
        }
        self.entries[0].0
    }

    /// `name=weight,…`, names in lower case.
    pub fn describe(&self) -> String
    where
        T: std::fmt::Debug,
    {
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|(item, w)| format!("{item:?}={w}").to_lowercase())
            .collect();
        parts.join(",")
    }

    /// A random entry by weight.
    pub fn pick(&self, rng: &mut impl Rng) -> T {
        self.nth(rng.random_range(0..self.total) as usize)
    }
}

fn parse_weights<T>(text: &str, item: impl Fn(&str) -> Option<T>) -> Result<Weights<T>, String> {
    let mut entries = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
        let value = item(name.trim()).ok_or_else(|| format!("unknown name {name:?}"))?;
        let weight: u32 = weight
            .trim()
            .parse()
            .map_err(|_| format!("bad weight in {part:?}"))?;
        if weight > 0 {
            entries.push((value, weight));
        }
    }
    let total = entries.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return Err("give at least one positive weight".into());
    }
    Ok(Weights { entries, total })
}

/// The transports and their shares, such as `legacy=1,streamable=1,stateless=1`.
pub type TransportMix = Weights<Transport>;

impl FromStr for Weights<Transport> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_weights(s, |name| match name {
            "legacy" | "sse" => Some(Transport::Legacy),
            "streamable" | "handshake" => Some(Transport::Streamable),
            "stateless" => Some(Transport::Stateless),
            "plain" => Some(Transport::Plain),
            _ => None,
        })
    }
}

/// The read-only tools the workload calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    GetPosture,
    ListFindings,
    GetScoreTrend,
    CompareScans,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::GetPosture => "get_posture",
            Tool::ListFindings => "list_findings",
            Tool::GetScoreTrend => "get_score_trend",
            Tool::CompareScans => "compare_scans",
        }
    }

    /// Arguments for one call on `tenant`; `list_findings` rotates through its filters.
    pub fn arguments(self, tenant: &str, rng: &mut impl Rng) -> Value {
        match self {
            Tool::GetPosture => json!({ "tenant": tenant }),
            Tool::GetScoreTrend => json!({ "tenant": tenant, "since": "26w" }),
            Tool::CompareScans => json!({ "tenant": tenant }),
            Tool::ListFindings => match rng.random_range(0..5u8) {
                0 => json!({ "tenant": tenant, "limit": 50 }),
                1 => json!({ "tenant": tenant, "limit": 50, "severity": ["critical", "high"] }),
                2 => json!({ "tenant": tenant, "limit": 50, "service": "Exchange Online" }),
                3 => json!({ "tenant": tenant, "limit": 50, "framework": "CIS" }),
                _ => json!({ "tenant": tenant, "limit": 50, "status": "any" }),
            },
        }
    }
}

/// The tool mix, such as `get_posture=4,list_findings=3,get_score_trend=2,compare_scans=1`.
pub type ToolMix = Weights<Tool>;

impl FromStr for Weights<Tool> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_weights(s, |name| match name {
            "get_posture" => Some(Tool::GetPosture),
            "list_findings" => Some(Tool::ListFindings),
            "get_score_trend" => Some(Tool::GetScoreTrend),
            "compare_scans" => Some(Tool::CompareScans),
            _ => None,
        })
    }
}

/// Whether session `index` of a run starts scans, for a share of `share` (0 to 1).
pub fn is_scanner(index: usize, share: f64) -> bool {
    let at = |i: usize| (i as f64 * share).floor();
    share > 0.0 && at(index + 1) > at(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_repeat_in_order() {
        let mix: TransportMix = "legacy=2,stateless=1"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let seq: Vec<_> = (0..6).map(|n| mix.nth(n)).collect();
        assert_eq!(
            seq,
            [
                Transport::Legacy,
                Transport::Legacy,
                Transport::Stateless,
                Transport::Legacy,
                Transport::Legacy,
                Transport::Stateless
            ]
        );
        assert!("nope=1".parse::<ToolMix>().is_err());
        assert!("get_posture=0".parse::<ToolMix>().is_err());
    }

    #[test]
    fn scanner_share_is_spread() {
        let n = (0..1000).filter(|&i| is_scanner(i, 0.05)).count();
        assert_eq!(n, 50);
        assert!(!(0..100).any(|i| is_scanner(i, 0.0)));
    }
}
