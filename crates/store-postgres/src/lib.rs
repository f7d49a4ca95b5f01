//! The PostgreSQL adapter: implements the domain's store ports with diesel-async over a
//! deadpool pool, and applies the embedded migrations.

mod calls;
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

use diesel_async::AsyncPgConnection;

pub use memory::recall_statement;
pub use migrations::{MigrationError, run_migrations};
pub use pool::{PgPool, PoolConfig, build_pool};
pub use search::search_statement;
pub use usage::{USAGE_ROLLED, usage_statement};

use crate::calls::Calls;
use crate::error::DbError;

/// Every store port, backed by one pool. Each call checks a connection out for one
/// statement or one short transaction, within a deadline, and gives it back.
#[derive(Clone)]
pub struct PgStore {
    calls: Calls,
    checkpoints: checkpoints::Checkpoints,
}

impl PgStore {
    /// `deadline` bounds each call once it has its connection (`PoolConfig::statement_timeout`).
    pub fn new(pool: PgPool, deadline: Duration) -> Self {
        Self {
            calls: Calls::new(pool, deadline),
            checkpoints: checkpoints::Checkpoints::default(),
        }
    }

    fn pool_status(&self) -> deadpool::Status {
        self.calls.status()
    }

    /// See [`Calls::run`].
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.calls.run(work).await
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
