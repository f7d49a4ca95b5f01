//! The PostgreSQL adapter: implements the domain's store ports with diesel-async over a
//! deadpool pool, and applies the embedded migrations.

mod chat_store;
mod error;
mod event_store;
mod health;
mod migrations;
mod pool;
mod rows;
mod schema;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Object;

pub use migrations::{MigrationError, run_migrations};
pub use pool::{PgPool, PoolConfig, build_pool};

use crate::error::DbError;

/// Every store port, backed by one pool. Each call checks a connection out for one
/// statement or one short transaction and gives it back.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn conn(&self) -> Result<Object<AsyncPgConnection>, DbError> {
        Ok(self.pool.get().await?)
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
