use async_trait::async_trait;
use diesel_async::RunQueryDsl;
use domain::ports::{HealthCheck, HealthError};

use crate::PgStore;
use crate::error::DbError;

#[async_trait]
impl HealthCheck for PgStore {
    /// Ready when a pooled connection answers a trivial query within the pool's timeouts.
    async fn check(&self) -> Result<(), HealthError> {
        let mut conn = self
            .conn()
            .await
            .map_err(|e| HealthError::Unavailable(e.into_cause()))?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(|e| HealthError::Unavailable(DbError::from(e).into_cause()))?;
        Ok(())
    }
}
