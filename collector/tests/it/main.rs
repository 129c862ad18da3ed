//! The integration tests of aether365-collector, one binary (each module was its own binary):
//! the collector against the stand-in over loopback HTTP, and the Entra ID round trip in process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod collect;
mod entra_round_trip;
mod microsoft_examples;
mod per_object;
mod teams_tcm;
