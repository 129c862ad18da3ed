//! Teams findings decided from a Tenant Configuration Management snapshot name it and its age;
//! settings the snapshot lacks are unknown, never a verdict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::tests::sample_value;
use crate::catalogue::{compliance_checks, find_check};
use crate::model::{Service, Status};
use crate::snapshot::Snapshot;

fn with_tcm(mut v: Value) -> Value {
    v["timestamp_zulu"] = json!("2026-12-06T10:00:00.000Z");
    v["aether365"]["teams_tcm_snapshot"] = json!({
        "job_id": "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a09",
        "completed_date_time": "2026-11-28T06:30:00Z",
    });
    v
}

#[test]
fn teams_findings_name_the_snapshot_job_and_its_age() {
    let plain = Snapshot::from_value(sample_value()).unwrap();
    let tcm = Snapshot::from_value(with_tcm(sample_value())).unwrap();
    let mut seen = 0;
    for c in compliance_checks() {
        let (a, b) = (c.evaluate(&plain), c.evaluate(&tcm));
        assert_eq!(a.status, b.status, "{}", c.id);
        if c.service != Service::Teams || c.is_undecided() {
            assert_eq!(a.message, b.message, "{}", c.id);
            continue;
        }
        seen += 1;
        assert!(
            b.message.ends_with(
                "Teams data from the Tenant Configuration Management snapshot job 6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a09, completed 2026-11-28 06:30 UTC, 8 days before this collection."
            ),
            "{}: {}",
            c.id,
            b.message
        );
        assert!(
            !a.message.contains("Tenant Configuration Management"),
            "{}",
            c.id
        );
        assert_eq!(
            b.evidence["tcm_snapshot"]["completed_date_time"], "2026-11-28T06:30:00Z",
            "{}",
            c.id
        );
    }
    assert!(seen >= 20, "{seen}");
}

#[test]
fn a_setting_a_policy_does_not_carry_is_unknown_not_a_verdict() {
    for (id, field) in [
        ("A365-TMS-15", "AllowExternalNonTrustedMeetingChat"),
        ("A365-TMS-01", "AllowExternalParticipantGiveRequestControl"),
        ("A365-TMS-07", "BroadcastRecordingMode"),
    ] {
        let mut v = sample_value();
        let key = if id == "A365-TMS-07" {
            "broadcast_policies"
        } else {
            "meeting_policies"
        };
        for p in v[key].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove(field);
        }
        let f = find_check(id)
            .unwrap()
            .evaluate(&Snapshot::from_value(v).unwrap());
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
        assert!(f.message.contains(field), "{id}: {}", f.message);
    }
}
