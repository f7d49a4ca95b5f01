use async_trait::async_trait;
use diesel_async::RunQueryDsl;
use domain::ports::{HealthCheck, HealthError};

use crate::PgStore;

#[async_trait]
impl HealthCheck for PgStore {
    /// Ready when a pooled connection answers a trivial query within the deadlines.
    async fn check(&self) -> Result<(), HealthError> {
        self.run(async |conn| {
            diesel::sql_query("SELECT 1").execute(conn).await?;
            Ok(())
        })
        .await
        .map_err(|e| HealthError::Unavailable(e.into_cause()))
    }
}
