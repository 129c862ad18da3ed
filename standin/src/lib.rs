//! A local stand-in for Microsoft 365, built from a ScubaGear export.
