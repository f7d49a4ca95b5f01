//! End-to-end tests of the HTTP API: the real app on port 0, a real PostgreSQL (a fresh
//! database per test), an HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod chat;
mod chat_sessions;
mod errors;
mod events;
mod health;
mod helpers;
mod limits;
mod waypoints;
