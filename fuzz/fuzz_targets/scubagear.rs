//! The ScubaGear import: any bytes either fail with an error or give a snapshot that every
//! compliance check evaluates.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = aether365_engine::Snapshot::from_bytes(data) {
        let _ = aether365_engine::evaluate_all(&snapshot);
    }
});
