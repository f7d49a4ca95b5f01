use std::time::Duration;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{BuildError, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
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
}

impl PoolConfig {
    pub const DEFAULT: Self = Self {
        max_size: 16,
        timeout: Duration::from_secs(2),
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
