//! The command line. Every option also reads an environment variable (a `.env` file is
//! loaded first); a flag given on the command line wins over both.

use std::path::PathBuf;

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use domain::ChatLimits;
use http_api::{HttpConfig, RunsConfig};
use llm_openai::OpenAiConfig;
use store_postgres::PoolConfig;

/// Whole milliseconds, as the `_MS` settings take them.
const fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

#[derive(Debug, Parser)]
#[command(
    name = "aidstation",
    version,
    about = "The AI assistant of an ultra-running race planner, with chat history kept in PostgreSQL"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// How log lines are written (to stderr); RUST_LOG filters them.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// PostgreSQL URL. When unset, a local cluster under <DATA_DIR>/postgres is created on
    /// first run, started with the machine's PostgreSQL binaries and stopped on exit.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the local PostgreSQL cluster lives when DATABASE_URL is unset.
    #[arg(
        long,
        env = "AIDSTATION_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Most database connections open at once.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = PoolConfig::DEFAULT.max_size, global = true)]
    pub pool_size: usize,

    /// Milliseconds a request waits for a database connection before it is answered 503.
    #[arg(
        long,
        env = "DATABASE_POOL_TIMEOUT_MS",
        default_value_t = millis(PoolConfig::DEFAULT.timeout),
        global = true
    )]
    pub pool_timeout_ms: u64,

    /// Milliseconds a database call may take (also the server's `statement_timeout`): past
    /// it the call fails (503) and its connection is dropped.
    #[arg(
        long,
        env = "DATABASE_STATEMENT_TIMEOUT_MS",
        default_value_t = millis(PoolConfig::DEFAULT.statement_timeout),
        global = true
    )]
    pub statement_timeout_ms: u64,

    /// Address and port to serve HTTP on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind_addr: String,

    /// Comma-separated origins allowed by CORS (`*` for any). Default: the original
    /// frontend's.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_values_t = HttpConfig::DEFAULT_CORS_ALLOWED_ORIGINS.map(String::from),
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Largest request body in bytes (larger: 413).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = HttpConfig::DEFAULT_MAX_BODY_BYTES, global = true)]
    pub max_body_bytes: usize,

    /// Longest chat message in characters (longer: 422).
    #[arg(
        long,
        env = "MAX_MESSAGE_CHARS",
        default_value_t = ChatLimits::DEFAULT.max_message_chars,
        global = true
    )]
    pub max_message_chars: usize,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "HTTP_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Milliseconds a client may take to send a request's head, and again its body (408 after).
    #[arg(
        long,
        env = "CLIENT_REQUEST_TIMEOUT_MS",
        default_value_t = millis(HttpConfig::DEFAULT_CLIENT_REQUEST_TIMEOUT),
        global = true
    )]
    pub client_request_timeout_ms: u64,

    /// Seconds that answers being generated (and open streams) get to finish on shutdown
    /// before they are stored as interrupted.
    #[arg(
        long,
        env = "SHUTDOWN_GRACE_SECS",
        default_value_t = HttpConfig::DEFAULT_SHUTDOWN_GRACE.as_secs(),
        global = true
    )]
    pub shutdown_grace_secs: u64,

    /// Seconds of model silence after which a chat stream gets a `: ping` keep-alive.
    #[arg(
        long,
        env = "SSE_PING_SECS",
        default_value_t = HttpConfig::DEFAULT_SSE_PING_EVERY.as_secs(),
        global = true
    )]
    pub sse_ping_secs: u64,

    /// A font file for what the PDF export's DejaVu Sans lacks (CJK, say). Unset: the first
    /// of a few usual system fonts that is installed (Droid Sans Fallback, Noto Sans CJK,
    /// WenQuanYi), if any.
    #[arg(long, env = "PDF_FALLBACK_FONT", global = true)]
    pub pdf_fallback_font: Option<PathBuf>,

    /// Largest file an import takes, in bytes (a ZIP may unpack to four times as much).
    #[arg(long, env = "IMPORT_MAX_BYTES", default_value_t = HttpConfig::DEFAULT_IMPORT_MAX_BYTES, global = true)]
    pub import_max_bytes: usize,

    /// Characters of earlier conversation sent with each question (the newest are kept).
    #[arg(
        long,
        env = "MAX_HISTORY_CHARS",
        default_value_t = ChatLimits::DEFAULT.max_history_chars,
        global = true
    )]
    pub max_history_chars: usize,

    /// Recall what the event's other chats said that bears on a question, into its prompt
    /// (`off`: never; a request may still ask for none with `"memory": false`).
    #[arg(long, env = "MEMORY", value_enum, default_value_t = Switch::On, global = true)]
    pub memory: Switch,

    /// Characters of the event's other chats a prompt may recall.
    #[arg(long, env = "MEMORY_MAX_CHARS", default_value_t = ChatLimits::DEFAULT.memory_max_chars, global = true)]
    pub memory_max_chars: usize,

    /// Speak HTTP/2 (h2c on plain TCP) to the model server: one connection for all answers
    /// instead of a socket each.
    #[arg(long, env = "OPENAI_HTTP2", default_value_t = false, global = true)]
    pub openai_http2: bool,

    /// Seconds between saves of an answer's text while it streams: what a crash can lose.
    #[arg(
        long,
        env = "ANSWER_CHECKPOINT_SECS",
        default_value_t = ChatLimits::DEFAULT.checkpoint_every.as_secs(),
        global = true
    )]
    pub answer_checkpoint_secs: u64,

    /// Seconds an instance's claim on the answers it writes lasts without renewal (renewed
    /// every third of it): past it, any instance marks them interrupted.
    #[arg(
        long,
        env = "ANSWER_LEASE_SECS",
        default_value_t = ChatLimits::DEFAULT.answer_lease.as_secs(),
        global = true
    )]
    pub answer_lease_secs: u64,

    /// Seconds an answer's last write is retried while the database is unreachable (its
    /// stream stays open meanwhile).
    #[arg(
        long,
        env = "ANSWER_SAVE_RETRY_SECS",
        default_value_t = RunsConfig::DEFAULT_SAVE_RETRY.as_secs(),
        global = true
    )]
    pub answer_save_retry_secs: u64,

    /// When set (and not empty), every `/api` call needs it: `Authorization: Bearer <token>`
    /// or the cookie of the sign-in page.
    #[arg(long, env = "AIDSTATION_TOKEN", global = true, hide_env_values = true)]
    pub access_token: Option<String>,

    /// API key of the OpenAI-compatible server.
    #[arg(long, env = "OPENAI_API_KEY", global = true, hide_env_values = true)]
    pub openai_api_key: Option<String>,

    /// Base URL of any OpenAI-compatible server (Azure, Ollama, vLLM, llama.cpp, OpenRouter...).
    #[arg(long, env = "OPENAI_BASE_URL", default_value = OpenAiConfig::DEFAULT_BASE_URL, global = true)]
    pub openai_base_url: String,

    /// Model name sent with each request.
    #[arg(
        long,
        env = "OPENAI_MODEL",
        default_value = OpenAiConfig::DEFAULT_MODEL,
        global = true
    )]
    pub openai_model: String,

    /// Seconds to establish a connection to the model server.
    #[arg(
        long,
        env = "OPENAI_CONNECT_TIMEOUT_SECS",
        default_value_t = OpenAiConfig::DEFAULT_CONNECT_TIMEOUT.as_secs(),
        global = true
    )]
    pub openai_connect_timeout_secs: u64,

    /// Seconds to wait for the first piece of an answer (per attempt).
    #[arg(
        long,
        env = "OPENAI_FIRST_TOKEN_TIMEOUT_SECS",
        default_value_t = OpenAiConfig::DEFAULT_FIRST_TOKEN_TIMEOUT.as_secs(),
        global = true
    )]
    pub openai_first_token_timeout_secs: u64,

    /// Longest silence, in seconds, between two pieces of a streaming answer.
    #[arg(
        long,
        env = "OPENAI_IDLE_TIMEOUT_SECS",
        default_value_t = OpenAiConfig::DEFAULT_IDLE_TIMEOUT.as_secs(),
        global = true
    )]
    pub openai_idle_timeout_secs: u64,
}

/// A feature turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per record.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API and web UI (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_and_flags_parse_anywhere() {
        let cli = Cli::try_parse_from(["aidstation", "--bind-addr", "127.0.0.1:0"]).unwrap();
        assert_eq!(cli.command, None);
        assert_eq!(cli.bind_addr, "127.0.0.1:0");
        let cli =
            Cli::try_parse_from(["aidstation", "migrate", "--database-url", "postgres://x/y"])
                .unwrap();
        assert_eq!(cli.command, Some(Command::Migrate));
        assert_eq!(cli.database_url.as_deref(), Some("postgres://x/y"));
    }

    #[test]
    fn cors_origins_are_comma_separated() {
        let cli = Cli::try_parse_from([
            "aidstation",
            "--cors-allowed-origins",
            "http://a.test,http://b.test",
        ])
        .unwrap();
        assert_eq!(cli.cors_allowed_origins, ["http://a.test", "http://b.test"]);
    }
}
