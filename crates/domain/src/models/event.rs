use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::rules::{
    COMMENTS, ELEVATION_FEET, FieldError, LATITUDE, LONGITUDE, MILES, NAME, ORDER_INDEX, PERCENT,
    STOP_MINUTES, TARGET_MINUTES,
};

/// What a runner says about a race; the identity and timestamps live on [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventFields {
    pub name: String,
    pub planned_date: Option<DateTime<Utc>>,
    /// Miles.
    pub distance: Option<f64>,
    pub target_duration_minutes: Option<i32>,
    pub elevation_gain_adjustment_percent: Option<f64>,
    pub elevation_descent_adjustment_percent: Option<f64>,
    pub fatigue_slowdown_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub fields: EventFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaypointType {
    Checkpoint,
    Food,
    Water,
    Rest,
}

impl WaypointType {
    pub const ALL: [Self; 4] = [Self::Checkpoint, Self::Food, Self::Water, Self::Rest];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Checkpoint => "checkpoint",
            Self::Food => "food",
            Self::Water => "water",
            Self::Rest => "rest",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// What describes a stop on the course; where it sits in the event's order is kept apart,
/// because a new waypoint may leave that to the store (after the last one).
#[derive(Debug, Clone, PartialEq)]
pub struct WaypointFields {
    pub name: String,
    pub waypoint_type: WaypointType,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Feet, as the original planner stores it.
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<String>,
    /// Miles.
    pub distance_from_start: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Waypoint {
    pub id: Uuid,
    pub event_id: Uuid,
    pub order_index: i32,
    pub fields: WaypointFields,
    pub created_at: DateTime<Utc>,
}

/// A waypoint as submitted: without `order_index` it goes after the event's last waypoint.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWaypoint {
    pub event_id: Uuid,
    pub order_index: Option<i32>,
    pub fields: WaypointFields,
}

impl EventFields {
    /// Every broken rule at once, so a form can mark all its bad fields in one round.
    pub fn validate(&self) -> Vec<FieldError> {
        [
            NAME.check("name", &self.name),
            MILES.check("distance", self.distance),
            TARGET_MINUTES.check_whole("target_duration_minutes", self.target_duration_minutes),
            PERCENT.check(
                "elevation_gain_adjustment_percent",
                self.elevation_gain_adjustment_percent,
            ),
            PERCENT.check(
                "elevation_descent_adjustment_percent",
                self.elevation_descent_adjustment_percent,
            ),
            PERCENT.check("fatigue_slowdown_percent", self.fatigue_slowdown_percent),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl WaypointFields {
    /// Every broken rule at once, `order_index` included (it is checked with the fields so
    /// that a form hears of all its problems together).
    pub fn validate(&self, order_index: Option<i32>) -> Vec<FieldError> {
        [
            NAME.check("name", &self.name),
            LATITUDE.check("latitude", self.latitude),
            LONGITUDE.check("longitude", self.longitude),
            ELEVATION_FEET.check("elevation", self.elevation),
            STOP_MINUTES.check_whole("stop_time_minutes", self.stop_time_minutes),
            MILES.check("distance_from_start", self.distance_from_start),
            ORDER_INDEX.check_whole("order_index", order_index),
            self.comments
                .as_deref()
                .and_then(|comments| COMMENTS.check("comments", comments)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> EventFields {
        EventFields {
            name: "Western States".into(),
            planned_date: None,
            distance: Some(100.2),
            target_duration_minutes: Some(1_440),
            elevation_gain_adjustment_percent: Some(10.0),
            elevation_descent_adjustment_percent: None,
            fatigue_slowdown_percent: Some(5.0),
        }
    }

    #[test]
    fn a_sensible_event_has_no_errors() {
        assert!(fields().validate().is_empty());
    }

    #[test]
    fn every_broken_event_rule_is_reported_at_once() {
        let event = EventFields {
            name: "   ".into(),
            distance: Some(f64::NAN),
            target_duration_minutes: Some(0),
            fatigue_slowdown_percent: Some(-101.0),
            ..fields()
        };
        let failed: Vec<_> = event.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            failed,
            [
                "name",
                "distance",
                "target_duration_minutes",
                "fatigue_slowdown_percent"
            ]
        );
    }

    #[test]
    fn waypoint_coordinates_and_order_are_range_checked() {
        let waypoint = WaypointFields {
            name: "Robinson Flat".into(),
            waypoint_type: WaypointType::Food,
            latitude: Some(91.0),
            longitude: Some(-181.0),
            elevation: Some(6_730.0),
            stop_time_minutes: Some(-1),
            comments: None,
            distance_from_start: Some(30.3),
        };
        let failed: Vec<_> = waypoint
            .validate(Some(-1))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            failed,
            ["latitude", "longitude", "stop_time_minutes", "order_index"]
        );
    }

    #[test]
    fn waypoint_types_round_trip_through_their_names() {
        for kind in WaypointType::ALL {
            assert_eq!(WaypointType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(WaypointType::parse("aid"), None);
    }
}
