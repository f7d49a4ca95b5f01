use async_trait::async_trait;
use diesel_async::RunQueryDsl;
use domain::ports::{HealthCheck, HealthError, StoreUsage};

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

    fn usage(&self) -> StoreUsage {
        let status = self.pool_status();
        StoreUsage {
            in_use: status.size.saturating_sub(status.available),
            waiting: status.waiting,
            max: status.max_size,
        }
    }
}
