use std::time::Duration;

use diesel::{ConnectionError, ConnectionResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{BuildError, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

pub type PgPool = Pool<AsyncPgConnection>;

/// How the pool behaves under pressure and when the database is gone.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Most connections open at once: PostgreSQL's default `max_connections` is 100, and a
    /// couple of instances plus psql must fit.
    pub max_size: usize,
    /// How long a request waits for a free connection, or for a new one to be made, before it
    /// is answered 503: a request must fail fast, never hang, when the database is down or
    /// every connection is busy.
    pub timeout: Duration,
    /// The deadline of every database call: the app gives up on a call after this (and
    /// discards its connection), and the server cancels a statement that runs longer
    /// (`statement_timeout`). Nothing waits on the database without one.
    pub statement_timeout: Duration,
}

impl PoolConfig {
    pub const DEFAULT: Self = Self {
        max_size: 16,
        timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(5),
    };
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

pub fn build_pool(database_url: &SecretString, config: PoolConfig) -> Result<PgPool, BuildError> {
    let mut manager_config = ManagerConfig::default();
    // A closed or mid-transaction connection is still caught (is_broken); skipping the
    // default `SELECT 1` on every checkout saves a round trip per request.
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = Box::new(move |url| connect(url.to_owned(), config).boxed());
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        database_url.expose_secret(),
        manager_config,
    );
    Pool::builder(manager)
        .max_size(config.max_size)
        .wait_timeout(Some(config.timeout))
        .create_timeout(Some(config.timeout))
        .recycle_timeout(Some(config.timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
}

/// How soon a silent peer is noticed: TCP keepalive probes after this much quiet, and
/// unacknowledged data gives up after this too, so a connection through a dropped network
/// fails instead of hanging until the kernel's default of many minutes.
const DEAD_PEER: Duration = Duration::from_secs(5);

/// One connection as the pool makes it: the URL's settings, plus the server-side
/// `statement_timeout`, no JIT, and TCP keepalive with a short user timeout (ignored on a
/// Unix socket). JIT pays off for long analytic queries; ours are short, and one whose rows
/// the planner overestimates (a join on windows of time it cannot see) spent half a second
/// compiling what ran in milliseconds.
async fn connect(url: String, config: PoolConfig) -> ConnectionResult<AsyncPgConnection> {
    let mut pg: tokio_postgres::Config = url.parse().map_err(|error: tokio_postgres::Error| {
        ConnectionError::BadConnection(error.to_string())
    })?;
    let settings = format!(
        "-c statement_timeout={} -c jit=off",
        config.statement_timeout.as_millis()
    );
    let options = match pg.get_options() {
        Some(given) => format!("{given} {settings}"),
        None => settings,
    };
    pg.options(&options)
        .connect_timeout(config.timeout)
        .keepalives(true)
        .keepalives_idle(DEAD_PEER)
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3)
        .tcp_user_timeout(DEAD_PEER);
    let (client, connection) = pg
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}
