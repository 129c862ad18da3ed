//! The server's memory and CPU, read from `/proc/PID/status` and `/proc/PID/stat`.

use std::time::Instant;

use serde::Serialize;

/// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`; 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// One reading of a process.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub rss_kib: u64,
    /// User plus system CPU time in clock ticks.
    pub cpu_ticks: u64,
    pub at: Instant,
}

/// Reads process `pid`; `None` if it is gone or unreadable.
pub fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Sample {
        rss_kib,
        cpu_ticks: utime + stime,
        at: Instant::now(),
    })
}

/// What the server did between two samples.
#[derive(Clone, Debug, Serialize)]
pub struct ServerUsage {
    pub pid: u32,
    /// RSS before the sessions were opened.
    pub rss_before_kib: u64,
    /// RSS with every session open (the idle peak), or at the end of the measured phase.
    pub rss_loaded_kib: u64,
    /// `(loaded - before) / sessions`.
    pub rss_per_session_bytes: Option<f64>,
    /// CPU time over the measured phase, as a share of one core (200 % = both cores of two).
    pub cpu_percent: f64,
    pub cpu_seconds: f64,
}

impl ServerUsage {
    /// Compares a sample before the sessions, at full load, and around the measured phase.
    pub fn between(
        pid: u32,
        before: Sample,
        loaded: Sample,
        start: Sample,
        end: Sample,
        sessions: u64,
    ) -> ServerUsage {
        let cpu_seconds = end.cpu_ticks.saturating_sub(start.cpu_ticks) as f64 / CLK_TCK;
        let wall = end.at.duration_since(start.at).as_secs_f64().max(1e-9);
        let grown = loaded.rss_kib.saturating_sub(before.rss_kib) as f64 * 1024.0;
        ServerUsage {
            pid,
            rss_before_kib: before.rss_kib,
            rss_loaded_kib: loaded.rss_kib,
            rss_per_session_bytes: (sessions > 0).then(|| grown / sessions as f64),
            cpu_percent: 100.0 * cpu_seconds / wall,
            cpu_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        let s = sample(std::process::id());
        assert!(s.is_some_and(|s| s.rss_kib > 0));
    }
}
