//! The integration tests of aether365-engine, one binary (each module was its own binary): the
//! exports against the official schemas, docs/frameworks.md kept current, and agreement with
//! ScubaGear on its sample export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod exports;
mod frameworks_doc;
mod scubagear_agreement;
