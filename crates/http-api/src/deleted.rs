//! The answer to deleting an event or a waypoint, as the original planner gives it.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub success: bool,
    pub id: Uuid,
}

impl Deleted {
    pub const fn new(id: Uuid) -> Self {
        Self { success: true, id }
    }
}
