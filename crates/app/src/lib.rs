//! Wiring: turns settings into a running application (database, adapters, services, HTTP
//! server). The binary and the end-to-end tests both start the app through here.

pub mod cli;
mod tokens;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::ports::{ChatStore, EventStore, LanguageModel, Stamps};
use domain::{ChatLimits, ChatService, EventService, ShareService, TransferService};
use http_api::{AppState, Generations, HttpConfig, Metrics, Runs, RunsConfig};
use llm_openai::{OpenAiClient, OpenAiConfig};
use local_postgres::{ClusterUse, Durability, LocalCluster, PgBinaries};
use secrecy::SecretString;
use store_postgres::{PgStore, PoolConfig, build_pool, run_migrations};
use tokio_util::sync::CancellationToken;

const LOCAL_DATABASE: &str = "aidstation";

/// Everything the app is configured with, whatever the source (flags, env, tests).
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Option<SecretString>,
    pub data_dir: PathBuf,
    pub bind_addr: String,
    pub pool: PoolConfig,
    pub http: HttpConfig,
    pub chat: ChatLimits,
    pub openai: OpenAiConfig,
    pub runs: RunsConfig,
    pub sse_ping_every: Duration,
    pub import_max_bytes: usize,
    /// The PDF export's font for what DejaVu Sans lacks, if any.
    pub pdf_fallback_font: Option<PathBuf>,
}

impl From<cli::Cli> for Settings {
    fn from(cli: cli::Cli) -> Self {
        // An empty CORS_ALLOWED_ORIGINS means the defaults, as if unset.
        let origins: Vec<String> = (cli.cors_allowed_origins.iter())
            .filter(|origin| !origin.is_empty())
            .cloned()
            .collect();
        Self {
            database_url: cli
                .database_url
                .filter(|url| !url.trim().is_empty())
                .map(SecretString::from),
            data_dir: cli.data_dir,
            bind_addr: cli.bind_addr,
            pool: PoolConfig {
                max_size: cli.pool_size,
                timeout: Duration::from_millis(cli.pool_timeout_ms),
                statement_timeout: Duration::from_millis(cli.statement_timeout_ms),
                ..PoolConfig::DEFAULT
            },
            http: HttpConfig {
                cors_allowed_origins: if origins.is_empty() {
                    HttpConfig::default().cors_allowed_origins
                } else {
                    origins
                },
                max_body_bytes: cli.max_body_bytes,
                workers: cli.workers,
                shutdown_grace: Duration::from_secs(cli.shutdown_grace_secs),
                client_request_timeout: Duration::from_millis(cli.client_request_timeout_ms),
                access_token: cli
                    .access_token
                    .filter(|token| !token.is_empty())
                    .map(SecretString::from),
            },
            chat: ChatLimits {
                max_message_chars: cli.max_message_chars,
                max_history_chars: cli.max_history_chars,
                checkpoint_every: Duration::from_secs(cli.answer_checkpoint_secs),
                answer_lease: Duration::from_secs(cli.answer_lease_secs.max(1)),
                memory_max_chars: match cli.memory {
                    cli::Switch::On => cli.memory_max_chars,
                    cli::Switch::Off => 0,
                },
            },
            openai: OpenAiConfig {
                connect_timeout: Duration::from_secs(cli.openai_connect_timeout_secs),
                first_token_timeout: Duration::from_secs(cli.openai_first_token_timeout_secs),
                idle_timeout: Duration::from_secs(cli.openai_idle_timeout_secs),
                http2: cli.openai_http2,
                ..OpenAiConfig::new(
                    cli.openai_base_url,
                    cli.openai_api_key
                        .filter(|key| !key.trim().is_empty())
                        .map(SecretString::from),
                    cli.openai_model,
                )
            },
            runs: RunsConfig {
                save_retry: Duration::from_secs(cli.answer_save_retry_secs),
                ..RunsConfig::for_lease(Duration::from_secs(cli.answer_lease_secs.max(1)))
            },
            sse_ping_every: Duration::from_secs(cli.sse_ping_secs.max(1)),
            import_max_bytes: cli.import_max_bytes,
            pdf_fallback_font: cli.pdf_fallback_font.or_else(installed_fallback_font),
        }
    }
}

/// The database the app talks to, and its use of the local cluster, if any (let go when the
/// app stops: the cluster stops with the last process that uses it).
pub struct Database {
    pub url: SecretString,
    local: Option<ClusterUse>,
}

impl Database {
    /// Uses the configured URL, or joins the local cluster under the data dir (creating and
    /// starting it unless it runs).
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(url) = &settings.database_url {
            return Ok(Self {
                url: url.clone(),
                local: None,
            });
        }
        let bins = PgBinaries::find()?;
        let cluster = LocalCluster::new(
            bins,
            &settings.data_dir.join("postgres"),
            Durability::Durable,
        )?;
        let local = cluster
            .join()
            .await
            .context("starting the local PostgreSQL cluster")?;
        if let Err(error) = cluster.ensure_database(LOCAL_DATABASE).await {
            leave_quietly(local).await;
            return Err(error.into());
        }
        Ok(Self {
            url: cluster.database_url(LOCAL_DATABASE),
            local: Some(local),
        })
    }

    /// Lets go of the local cluster, if we use one; a failure is logged, not fatal, since
    /// the app is ending anyway.
    pub async fn close(self) {
        if let Some(local) = self.local {
            leave_quietly(local).await;
        }
    }
}

async fn leave_quietly(local: ClusterUse) {
    if let Err(error) = local.leave().await {
        tracing::error!(%error, "could not stop the local PostgreSQL cluster");
    }
}

/// A bound, not yet running HTTP server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    generations: Arc<Generations>,
    grace: Duration,
    database_deadline: Duration,
    stop: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks one), migrates the database and wires the adapters.
    pub async fn build(settings: &Settings, database_url: &SecretString) -> anyhow::Result<Self> {
        Self::build_on(Self::bind(settings)?, settings, database_url).await
    }

    /// Binds the configured address. `serve` does it before anything else, so that an
    /// address already in use ends the process before it touches the database.
    pub fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
        TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("binding {}", settings.bind_addr))
    }

    /// Migrates the database and wires the adapters to serve on `listener`.
    pub async fn build_on(
        listener: TcpListener,
        settings: &Settings,
        database_url: &SecretString,
    ) -> anyhow::Result<Self> {
        if let Some(path) = &settings.pdf_fallback_font {
            let loaded = std::fs::read(path)
                .map_err(|error| error.to_string())
                .and_then(http_api::set_pdf_fallback_font);
            match loaded {
                Ok(()) => tracing::info!(font = %path.display(), "PDF export: fallback font"),
                Err(error) => {
                    tracing::warn!(font = %path.display(), %error, "PDF export: fallback font not used");
                }
            }
        }
        let applied = run_migrations(database_url).await?;
        tracing::info!(applied, "database migrations up to date");
        // A pool of its own for each HTTP worker (where answers are generated too) and a
        // small one for the main thread, whose lease keeper asks first, as it starts. The
        // server is given the same count (actix's own default, made explicit), so that the
        // two cannot drift apart.
        let workers = (settings.http.workers)
            .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
            .unwrap_or(2);
        let http = HttpConfig {
            workers: Some(workers),
            ..settings.http.clone()
        };
        let pool = build_pool(
            database_url,
            PoolConfig {
                threads: workers + 1,
                ..settings.pool
            },
        )?;
        let store = Arc::new(PgStore::new(pool, settings.pool.statement_timeout));
        if !settings.openai.is_configured() {
            tracing::warn!(
                "no language model configured (OPENAI_API_KEY or OPENAI_BASE_URL): history works, questions get an error"
            );
        }
        let model = Arc::new(
            OpenAiClient::new(settings.openai.clone()).context("building the model client")?,
        );
        let generations = Arc::new(Generations::new());
        let chat: ChatService<dyn ChatStore, dyn EventStore, dyn LanguageModel> = ChatService::new(
            store.clone(),
            store.clone(),
            model,
            Stamps::system(),
            settings.chat,
        );
        let state = AppState {
            chat,
            events: EventService::new(store.clone(), Stamps::system()),
            transfer: TransferService::new(store.clone(), store.clone(), Stamps::system()),
            shares: ShareService::new(
                store.clone(),
                Stamps::system(),
                Arc::new(tokens::RandomTokens),
            ),
            health: store,
            generations: generations.clone(),
            runs: Runs::new(settings.runs),
            metrics: Metrics::new().context("registering the metrics")?,
            sse_ping_every: settings.sse_ping_every,
            import_max_bytes: settings.import_max_bytes,
        };
        let port = listener.local_addr()?.port();
        let server = http_api::serve(listener, state, http)?;
        Ok(Self {
            port,
            server,
            generations,
            grace: settings.http.shutdown_grace,
            database_deadline: settings.pool.statement_timeout,
            stop: CancellationToken::new(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the app as SIGTERM would, when cancelled.
    pub fn stopper(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until SIGINT, SIGTERM or [`Application::stopper`]; then takes no new
    /// connections, gives answers being generated the grace period, stores those still
    /// unfinished as interrupted, and only then stops the workers they run on.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        tokio::select! {
            served = &mut server => return served.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = stop_requested(&self.stop) => {}
        }
        handle.pause().await;
        self.generations
            .shutdown(self.grace, self.database_deadline)
            .await;
        handle.stop(true).await;
        server
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Fonts that cover what DejaVu Sans lacks (CJK above all), where Debian installs them.
const FALLBACK_FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

/// The first of [`FALLBACK_FONTS`] that is installed.
pub fn installed_fallback_font() -> Option<PathBuf> {
    FALLBACK_FONTS
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// Ctrl-C, SIGTERM, or the app's own stopper.
async fn stop_requested(stop: &CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
        () = stop.cancelled() => tracing::info!("stop requested: shutting down"),
    }
}

/// `aidstation serve`: bind, open the database, serve, and let go of the local cluster on the
/// way out, also when start-up fails half-way.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = Application::bind(&settings)?;
    let database = Database::open(&settings).await?;
    let result = async {
        let app = Application::build_on(listener, &settings, &database.url).await?;
        tracing::info!(addr = %settings.bind_addr, port = app.port(), "aidstation serving");
        app.run_until_stopped().await?;
        anyhow::Ok(())
    }
    .await;
    database.close().await;
    result
}

/// `aidstation migrate`.
pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let database = Database::open(&settings).await?;
    let result = run_migrations(&database.url).await;
    database.close().await;
    let applied = result?;
    tracing::info!(applied, "migrations applied");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn every_default_comes_from_the_adapters_configs_and_an_empty_cors_list_means_the_defaults() {
        let settings = Settings::from(cli::Cli::parse_from(["aidstation"]));
        assert_eq!(settings.pool.max_size, PoolConfig::DEFAULT.max_size);
        assert_eq!(settings.pool.timeout, PoolConfig::DEFAULT.timeout);
        assert_eq!(settings.chat, ChatLimits::DEFAULT);
        let http = HttpConfig::default();
        assert_eq!(
            settings.http.cors_allowed_origins,
            http.cors_allowed_origins
        );
        assert_eq!(settings.http.max_body_bytes, http.max_body_bytes);
        assert_eq!(settings.http.shutdown_grace, http.shutdown_grace);
        assert_eq!(
            settings.http.client_request_timeout,
            http.client_request_timeout
        );
        assert_eq!(settings.sse_ping_every, HttpConfig::DEFAULT_SSE_PING_EVERY);
        let openai = OpenAiConfig::new(String::new(), None, String::new());
        assert_eq!(settings.openai.base_url, OpenAiConfig::DEFAULT_BASE_URL);
        assert_eq!(settings.openai.model, OpenAiConfig::DEFAULT_MODEL);
        assert_eq!(settings.openai.connect_timeout, openai.connect_timeout);
        assert_eq!(
            settings.openai.first_token_timeout,
            openai.first_token_timeout
        );
        assert_eq!(settings.openai.idle_timeout, openai.idle_timeout);

        let empty = cli::Cli::parse_from(["aidstation", "--cors-allowed-origins", ""]);
        assert_eq!(
            Settings::from(empty).http.cors_allowed_origins,
            http.cors_allowed_origins
        );
    }
}
