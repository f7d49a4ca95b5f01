pub mod healthz;
pub mod metrics;
pub mod readyz;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct HealthDto {
    /// `ok` from /healthz, `ready` from /readyz.
    #[schema(example = "ok")]
    pub status: &'static str,
}
