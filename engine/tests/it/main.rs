//! The integration tests of aether365-engine, one binary (each module was its own binary): the
//! exports against the official schemas, docs/frameworks.md kept current, agreement with
//! ScubaGear on its sample export, and ScubaGear's unit tests as vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod exports;
mod frameworks_doc;
mod legacy_exports;
mod legacy_layouts;
mod scuba;
mod scubagear_agreement;
mod scubagear_vectors;
