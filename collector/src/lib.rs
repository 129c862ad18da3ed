//! The collector: network in, snapshot out. Reads a Microsoft 365 tenant's configuration with
//! app-only tokens over Microsoft Graph and the admin REST endpoints, GET only.
