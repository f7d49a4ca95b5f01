use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use deadpool::managed::{TimeoutType, Timeouts};
use diesel::{ConnectionError, ConnectionResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{BuildError, Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};
use thread_local::ThreadLocal;

/// The store's connections, split into pools of their own for the threads that use them.
/// A connection's I/O is driven by a task on the runtime that opened it: when each HTTP
/// worker thread uses connections it opened itself, a statement's round trip wakes no other
/// thread (the bench: 47 -> 20 system calls per new chat turn, with the model's connection
/// per worker too, and a fifth less CPU).
#[derive(Clone)]
pub struct PgPool {
    pools: Arc<[Pool<AsyncPgConnection>]>,
    /// Which of `pools` each thread uses, given out in turn as threads first ask (a thread
    /// that ends leaves its own to the next one that starts).
    mine: Arc<ThreadLocal<usize>>,
    next: Arc<AtomicUsize>,
}

impl PgPool {
    /// The pool of the calling thread.
    fn here(&self) -> &Pool<AsyncPgConnection> {
        let index = *self
            .mine
            .get_or(|| self.next.fetch_add(1, Ordering::Relaxed) % self.pools.len());
        &self.pools[index]
    }

    /// A connection of the calling thread's pool, waiting for one up to the pool's timeout.
    pub async fn get(&self) -> Result<Object<AsyncPgConnection>, PoolError> {
        self.timeout_get(&self.timeouts()).await
    }

    /// [`PgPool::get`] with other timeouts. When the thread's own pool has no connection
    /// free (nor room for another), one another thread's pool has idle is lent before any
    /// wait: under a burst, every connection serves, as from one pool.
    pub async fn timeout_get(
        &self,
        timeouts: &Timeouts,
    ) -> Result<Object<AsyncPgConnection>, PoolError> {
        let here = self.here();
        let now = Timeouts {
            wait: Some(Duration::ZERO),
            ..*timeouts
        };
        // Only a wait is worth avoiding: a connection that could not be made (the database
        // is down or unreachable) is the answer.
        match here.timeout_get(&now).await {
            Err(PoolError::Timeout(TimeoutType::Wait)) => {}
            got => return got,
        }
        for pool in self.pools.iter() {
            if !std::ptr::eq(pool, here)
                && pool.status().available > 0
                && let Ok(lent) = pool.timeout_get(&now).await
            {
                return Ok(lent);
            }
        }
        here.timeout_get(timeouts).await
    }

    pub fn timeouts(&self) -> Timeouts {
        self.here().timeouts()
    }

    /// All the pools together.
    pub fn status(&self) -> deadpool::Status {
        self.pools.iter().map(Pool::status).fold(
            deadpool::Status {
                max_size: 0,
                size: 0,
                available: 0,
                waiting: 0,
            },
            |all, one| deadpool::Status {
                max_size: all.max_size + one.max_size,
                size: all.size + one.size,
                available: all.available + one.available,
                waiting: all.waiting + one.waiting,
            },
        )
    }
}

/// How the pool behaves under pressure and when the database is gone.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Most connections open at once: PostgreSQL's default `max_connections` is 100, and a
    /// couple of instances plus psql must fit.
    pub max_size: usize,
    /// How many threads get a pool of their own, `max_size` split among them (the app: one
    /// per HTTP worker and one for its main thread, the first to ask, which gets a small
    /// one); a further thread shares one of them.
    pub threads: usize,
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
        threads: 1,
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
    let pools = pool_sizes(config.max_size, config.threads)
        .into_iter()
        .map(|size| one_pool(database_url, config, size))
        .collect::<Result<Arc<[_]>, _>>()?;
    Ok(PgPool {
        pools,
        mine: Arc::new(ThreadLocal::new()),
        next: Arc::new(AtomicUsize::new(0)),
    })
}

/// Most connections the first thread to ask gets, when there are several: in the app, the
/// main thread, whose lease keeper asks as it starts and runs a statement every few seconds.
const FIRST_THREAD_MOST: usize = 2;

/// The size of each thread's pool: the first thread's small, the others' `max_size` split
/// evenly (the earlier ones taking what does not divide), each at least one.
fn pool_sizes(max_size: usize, threads: usize) -> Vec<usize> {
    let threads = threads.clamp(1, max_size.max(1));
    if threads == 1 {
        return vec![max_size.max(1)];
    }
    let first = FIRST_THREAD_MOST.min(max_size / threads).max(1);
    let (rest, others) = (max_size - first, threads - 1);
    std::iter::once(first)
        .chain((0..others).map(|index| rest / others + usize::from(index < rest % others)))
        .collect()
}

fn one_pool(
    database_url: &SecretString,
    config: PoolConfig,
    max_size: usize,
) -> Result<Pool<AsyncPgConnection>, BuildError> {
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
        .max_size(max_size)
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

#[cfg(test)]
mod tests {
    use super::pool_sizes;

    #[test]
    fn the_first_thread_gets_a_small_pool_and_the_others_split_the_rest() {
        assert_eq!(pool_sizes(16, 1), [16]);
        assert_eq!(pool_sizes(16, 3), [2, 7, 7]);
        assert_eq!(pool_sizes(8, 3), [2, 3, 3]);
        assert_eq!(pool_sizes(17, 4), [2, 5, 5, 5]);
        assert_eq!(pool_sizes(18, 4), [2, 6, 5, 5]);
        assert_eq!(pool_sizes(3, 2), [1, 2]);
        // Never more pools than connections, and never an empty one.
        assert_eq!(pool_sizes(2, 5), [1, 1]);
        assert_eq!(pool_sizes(0, 3), [1]);
    }
}
