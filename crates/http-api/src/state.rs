//! What every handler reaches through `web::Data`, and what the HTTP layer takes from
//! configuration.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use domain::ports::{ChatStore, EventStore, HealthCheck, LanguageModel, ShareStore};
use domain::{ChatService, EventService, ShareService, TransferService};
use secrecy::SecretString;

use crate::generations::Generations;
use crate::metrics::Metrics;
use crate::runs::Runs;

/// The services. Ports are trait objects here: which adapter sits behind them is decided by
/// the binary at start-up.
pub struct AppState {
    pub chat: ChatService<dyn ChatStore, dyn EventStore, dyn LanguageModel>,
    pub events: EventService<dyn EventStore>,
    pub shares: ShareService<dyn ShareStore>,
    pub transfer: TransferService<dyn ChatStore, dyn EventStore>,
    pub health: Arc<dyn HealthCheck>,
    pub generations: Arc<Generations>,
    pub runs: Runs,
    pub metrics: Metrics,
    /// Largest import file, in bytes (`IMPORT_MAX_BYTES`).
    pub import_max_bytes: usize,
    /// Silence after which a chat stream gets a `: ping` comment.
    pub sse_ping_every: Duration,
}

/// How a handler takes the state.
pub type State = web::Data<AppState>;

/// What the HTTP layer takes from configuration.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed by CORS; `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    /// Largest request body in bytes; larger ones are answered 413.
    pub max_body_bytes: usize,
    /// Worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// How long open requests (chat streams included) may run on after a stop signal.
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request's head, and again its body: a slow or
    /// stalled client gets a 408 instead of holding a connection open.
    pub client_request_timeout: Duration,
    /// When set, what every `/api` call (but share links and signing in) must carry.
    pub access_token: Option<SecretString>,
}

impl HttpConfig {
    /// The original planner frontend's origins.
    pub const DEFAULT_CORS_ALLOWED_ORIGINS: [&str; 4] = [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    ];
    pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
    pub const DEFAULT_CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_SSE_PING_EVERY: Duration = Duration::from_secs(15);
    pub const DEFAULT_IMPORT_MAX_BYTES: usize = 50 * 1024 * 1024;
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_allowed_origins: Self::DEFAULT_CORS_ALLOWED_ORIGINS
                .map(String::from)
                .to_vec(),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            workers: None,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
            client_request_timeout: Self::DEFAULT_CLIENT_REQUEST_TIMEOUT,
            access_token: None,
        }
    }
}
