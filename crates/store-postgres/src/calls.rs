//! Calls on the pool, each within a deadline: what every statement of the store goes
//! through.

use std::time::Duration;

use deadpool::managed::Timeouts;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Object;

use crate::error::DbError;
use crate::pool::PgPool;

#[derive(Clone)]
pub struct Calls {
    pool: PgPool,
    deadline: Duration,
}

impl Calls {
    pub fn new(pool: PgPool, deadline: Duration) -> Self {
        Self { pool, deadline }
    }

    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// Runs `work` on a pooled connection within the deadline. A call that misses it is
    /// `Unavailable`, and its connection is discarded rather than given back: its statement
    /// may still be on the wire, and a connection through a dropped network never answers.
    pub async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let conn = self.pool.get().await?;
        self.within_deadline(conn, work).await
    }

    /// [`Calls::run`] for work that may wait for a better moment: when no connection is
    /// free right now it is `Unavailable` at once, rather than queueing before the requests
    /// a person waits for.
    pub async fn run_if_free<T>(
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
