//! The PostgreSQL adapter: implements the domain's store ports with diesel-async over a
//! deadpool pool, and applies the embedded migrations.

mod chat_store;
mod checkpoints;
mod error;
mod event_store;
mod health;
mod import_store;
mod memory;
mod migrations;
mod pool;
mod prepared;
mod rows;
mod schema;
mod search;
mod share_store;
mod turns;
mod usage;

use std::time::Duration;

use deadpool::managed::Timeouts;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Object;

pub use memory::recall_statement;
pub use migrations::{MigrationError, run_migrations};
pub use pool::{PgPool, PoolConfig, build_pool};
pub use search::search_statement;
pub use usage::usage_statement;

use crate::error::DbError;

/// Every store port, backed by one pool. Each call checks a connection out for one
/// statement or one short transaction, within a deadline, and gives it back.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    deadline: Duration,
    checkpoints: checkpoints::Checkpoints,
}

impl PgStore {
    /// `deadline` bounds each call once it has its connection (`PoolConfig::statement_timeout`).
    pub fn new(pool: PgPool, deadline: Duration) -> Self {
        Self {
            pool,
            deadline,
            checkpoints: checkpoints::Checkpoints::default(),
        }
    }

    /// The same pool and deadline without this store's checkpoint queue: what the queue's
    /// writer holds, so that the queue closes (and the writer ends) with the last store.
    fn detached(&self) -> Self {
        Self::new(self.pool.clone(), self.deadline)
    }

    fn pool_status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// Runs `work` on a pooled connection within the deadline. A call that misses it is
    /// `Unavailable`, and its connection is discarded rather than given back: its statement
    /// may still be on the wire, and a connection through a dropped network never answers.
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let conn = self.pool.get().await?;
        self.within_deadline(conn, work).await
    }

    /// [`PgStore::run`] for work that may wait for a better moment: when no connection is
    /// free right now it is `Unavailable` at once, rather than queueing before the requests
    /// a person waits for.
    async fn run_if_free<T>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let now = Timeouts {
            wait: Some(Duration::ZERO),
            ..self.pool.timeouts()
        };
        let conn = self.pool.timeout_get(&now).await?;
        self.within_deadline(conn, work).await
    }

    async fn within_deadline<T>(
        &self,
        mut conn: Object<AsyncPgConnection>,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        match tokio::time::timeout(self.deadline, work(&mut conn)).await {
            Ok(result) => result,
            Err(_) => {
                drop(Object::take(conn));
                Err(DbError::Unavailable(
                    format!("no answer from the database within {:?}", self.deadline).into(),
                ))
            }
        }
    }
}

/// The rows of a one-to-many left join (the parent's columns repeating on each child's row,
/// or one row without a child) as the parent and its children in row order; `None` when
/// there is no row, that is, no parent.
fn one_with_many<P, C>(rows: Vec<(P, Option<C>)>) -> Option<(P, Vec<C>)> {
    let mut rows = rows.into_iter();
    let (parent, first) = rows.next()?;
    let children = first
        .into_iter()
        .chain(rows.filter_map(|(_, child)| child))
        .collect();
    Some((parent, children))
}
