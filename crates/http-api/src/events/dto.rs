use chrono::{DateTime, Utc};
use domain::{Event, EventFields};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::schema;
use crate::serde_util::{Change, WholeNumber, change_datetime, optional_datetime, set};
use std::convert::identity as same;

/// The original planner's event JSON. `distance` is a number or null, never a string: its
/// frontend calls `.toFixed` on it.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventDto {
    id: Uuid,
    name: String,
    #[serde(serialize_with = "crate::timestamp::serialize_option")]
    planned_date: Option<DateTime<Utc>>,
    distance: Option<f64>,
    target_duration_minutes: Option<i32>,
    elevation_gain_adjustment_percent: Option<f64>,
    elevation_descent_adjustment_percent: Option<f64>,
    fatigue_slowdown_percent: Option<f64>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    updated_at: DateTime<Utc>,
}

impl From<Event> for EventDto {
    fn from(event: Event) -> Self {
        let fields = event.fields;
        Self {
            id: event.id,
            name: fields.name,
            planned_date: fields.planned_date,
            distance: fields.distance,
            target_duration_minutes: fields.target_duration_minutes,
            elevation_gain_adjustment_percent: fields.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: fields.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: fields.fatigue_slowdown_percent,
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewEvent)]
pub struct CreateEventRequest {
    #[schema(schema_with = schema::name)]
    name: String,
    /// RFC 3339, or an ISO date-time without offset taken as UTC; "" is none.
    #[serde(default, deserialize_with = "optional_datetime")]
    #[schema(schema_with = schema::optional_datetime)]
    planned_date: Option<DateTime<Utc>>,
    /// Miles.
    #[schema(schema_with = schema::miles)]
    distance: Option<f64>,
    #[schema(schema_with = schema::target_minutes)]
    target_duration_minutes: Option<WholeNumber>,
    #[schema(schema_with = schema::percent)]
    elevation_gain_adjustment_percent: Option<f64>,
    #[schema(schema_with = schema::percent)]
    elevation_descent_adjustment_percent: Option<f64>,
    #[schema(schema_with = schema::percent)]
    fatigue_slowdown_percent: Option<f64>,
}

impl CreateEventRequest {
    pub fn into_domain(self) -> EventFields {
        EventFields {
            name: self.name,
            planned_date: self.planned_date,
            distance: self.distance,
            target_duration_minutes: self.target_duration_minutes.map(WholeNumber::get),
            elevation_gain_adjustment_percent: self.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: self.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: self.fatigue_slowdown_percent,
        }
    }
}

/// A partial update: fields left out keep their value, `null` clears a nullable one. Extra
/// fields (a client echoing `id` or `created_at` back) are ignored.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = EventChanges)]
pub struct UpdateEventRequest {
    /// `null` or absent keeps the name.
    #[schema(schema_with = schema::optional_name)]
    name: Option<String>,
    #[serde(deserialize_with = "change_datetime")]
    #[schema(schema_with = schema::optional_datetime)]
    planned_date: Change<DateTime<Utc>>,
    #[schema(schema_with = schema::miles)]
    distance: Change<f64>,
    #[schema(schema_with = schema::target_minutes)]
    target_duration_minutes: Change<WholeNumber>,
    #[schema(schema_with = schema::percent)]
    elevation_gain_adjustment_percent: Change<f64>,
    #[schema(schema_with = schema::percent)]
    elevation_descent_adjustment_percent: Change<f64>,
    #[schema(schema_with = schema::percent)]
    fatigue_slowdown_percent: Change<f64>,
}

impl UpdateEventRequest {
    /// Writes what the request changes over the stored fields.
    pub fn apply(self, to: &mut EventFields) {
        set(&mut to.name, self.name);
        self.planned_date.apply(&mut to.planned_date, same);
        self.distance.apply(&mut to.distance, same);
        let minutes = &mut to.target_duration_minutes;
        self.target_duration_minutes
            .apply(minutes, WholeNumber::get);
        let gain = &mut to.elevation_gain_adjustment_percent;
        self.elevation_gain_adjustment_percent.apply(gain, same);
        let descent = &mut to.elevation_descent_adjustment_percent;
        self.elevation_descent_adjustment_percent
            .apply(descent, same);
        self.fatigue_slowdown_percent
            .apply(&mut to.fatigue_slowdown_percent, same);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_changes_only_what_it_names_and_null_clears_a_nullable_field() {
        let mut fields = CreateEventRequest {
            name: "Western States".into(),
            planned_date: None,
            distance: Some(100.2),
            target_duration_minutes: Some(WholeNumber(1_440)),
            elevation_gain_adjustment_percent: None,
            elevation_descent_adjustment_percent: None,
            fatigue_slowdown_percent: None,
        }
        .into_domain();
        let update: UpdateEventRequest =
            serde_json::from_str(r#"{"name": "WSER", "distance": null}"#).unwrap();
        update.apply(&mut fields);
        assert_eq!(fields.name, "WSER");
        assert_eq!(fields.distance, None);
        assert_eq!(fields.target_duration_minutes, Some(1_440));
    }
}
