//! End-to-end tests: the real app on port 0 (or, for faults, the real binary as a process of
//! its own), a real PostgreSQL (a fresh database per test, or a cluster of the test's own),
//! the fake model over HTTP, an HTTP client and headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod answers;
mod browser;
mod chat;
mod chat_sessions;
mod errors;
mod events;
mod faults;
mod health;
mod honest_words;
mod instances;
mod limits;
mod local_cluster;
mod memory;
mod processes;
mod search;
mod shares;
mod stats;
mod transfer;
mod waypoints;
