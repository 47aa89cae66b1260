//! Quire: a real-time collaborative content-management server.
//!
//! Layout (see README's architecture picture):
//! - [`config`]: the typed configuration.
//! - [`store`]: persistence on SQLite or PostgreSQL.
//! - [`auth`]: passwords, tokens and their access policy, rate limits.
//! - [`api`]: the HTTP edge: REST API, WebSocket admission, OpenAPI,
//!   metrics, and the mapping of every error to a status.
//! - [`collab`]: document rooms, the live connection loop, document events.
//! - [`feed`]: document-list events and session revocations across instances.
//! - [`health`]: database readiness, probed in the background.
//! - [`media`]: what an uploaded image is, read from its bytes.
//! - [`web`]: the embedded web UI.
//! - [`cli`]: `seed`, `user add` and other commands.

pub mod api;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod collab;
pub mod config;
pub mod feed;
pub mod health;
pub mod media;
pub mod metrics;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod util;
pub mod web;
pub mod webhooks;
