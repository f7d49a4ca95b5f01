//! What aidstation's tests and tools share: a fake OpenAI-compatible model server, the app on
//! a free port against a fresh database, and a reader of its event streams. The end-to-end
//! tests themselves live in `crates/app/tests/e2e`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod browser;
pub mod fake_openai;
pub mod process;
pub mod proxy;
pub mod replay;
pub mod sse;
