use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::FieldError;
use crate::models::text::{Blank, check_text};

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

/// A partial update: `None` keeps the stored value; for nullable fields `Some(None)` clears it.
/// Partial rather than replacing, so a client that sends only what it changed loses nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPatch {
    pub name: Option<String>,
    pub planned_date: Option<Option<DateTime<Utc>>>,
    pub distance: Option<Option<f64>>,
    pub target_duration_minutes: Option<Option<i32>>,
    pub elevation_gain_adjustment_percent: Option<Option<f64>>,
    pub elevation_descent_adjustment_percent: Option<Option<f64>>,
    pub fatigue_slowdown_percent: Option<Option<f64>>,
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
    pub order_index: i32,
    /// Miles.
    pub distance_from_start: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Waypoint {
    pub id: Uuid,
    pub event_id: Uuid,
    pub fields: WaypointFields,
    pub created_at: DateTime<Utc>,
}

/// A waypoint as submitted: without `order_index` it goes after the event's last waypoint.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWaypoint {
    pub event_id: Uuid,
    pub name: String,
    pub waypoint_type: WaypointType,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<String>,
    pub order_index: Option<i32>,
    pub distance_from_start: Option<f64>,
}

/// Same convention as [`EventPatch`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaypointPatch {
    pub name: Option<String>,
    pub waypoint_type: Option<WaypointType>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub elevation: Option<Option<f64>>,
    pub stop_time_minutes: Option<Option<i32>>,
    pub comments: Option<Option<String>>,
    pub order_index: Option<i32>,
    pub distance_from_start: Option<Option<f64>>,
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_COMMENTS_CHARS: usize = 10_000;
/// A week; no aid-station stop is longer, and it keeps sums far from overflow.
const MAX_MINUTES: i32 = 7 * 24 * 60;
/// Longer than any foot race on record, small enough that pace arithmetic stays sane.
const MAX_MILES: f64 = 10_000.0;

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    errors.extend(check_text("name", name, MAX_NAME_CHARS, Blank::Refused));
}

fn check_range(
    field: &'static str,
    value: Option<f64>,
    min: f64,
    max: f64,
    errors: &mut Vec<FieldError>,
) {
    if let Some(value) = value
        && (!value.is_finite() || value < min || value > max)
    {
        errors.push(FieldError::new(
            field,
            format!("must be a number from {min} to {max}"),
        ));
    }
}

fn check_minutes(field: &'static str, value: Option<i32>, min: i32, errors: &mut Vec<FieldError>) {
    if let Some(value) = value
        && !(min..=MAX_MINUTES).contains(&value)
    {
        errors.push(FieldError::new(
            field,
            format!("must be a whole number from {min} to {MAX_MINUTES}"),
        ));
    }
}

impl EventFields {
    /// Every broken rule at once, so a form can mark all its bad fields in one round.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_name(&self.name, &mut errors);
        check_range("distance", self.distance, 0.0, MAX_MILES, &mut errors);
        check_minutes(
            "target_duration_minutes",
            self.target_duration_minutes,
            1,
            &mut errors,
        );
        for (field, value) in [
            (
                "elevation_gain_adjustment_percent",
                self.elevation_gain_adjustment_percent,
            ),
            (
                "elevation_descent_adjustment_percent",
                self.elevation_descent_adjustment_percent,
            ),
            ("fatigue_slowdown_percent", self.fatigue_slowdown_percent),
        ] {
            check_range(field, value, -100.0, 1000.0, &mut errors);
        }
        errors
    }

    pub fn apply(&mut self, patch: EventPatch) {
        let EventPatch {
            name,
            planned_date,
            distance,
            target_duration_minutes,
            elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent,
            fatigue_slowdown_percent,
        } = patch;
        set(&mut self.name, name);
        set(&mut self.planned_date, planned_date);
        set(&mut self.distance, distance);
        set(&mut self.target_duration_minutes, target_duration_minutes);
        set(
            &mut self.elevation_gain_adjustment_percent,
            elevation_gain_adjustment_percent,
        );
        set(
            &mut self.elevation_descent_adjustment_percent,
            elevation_descent_adjustment_percent,
        );
        set(&mut self.fatigue_slowdown_percent, fatigue_slowdown_percent);
    }
}

impl WaypointFields {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_name(&self.name, &mut errors);
        check_range("latitude", self.latitude, -90.0, 90.0, &mut errors);
        check_range("longitude", self.longitude, -180.0, 180.0, &mut errors);
        // From the Dead Sea shore to above Everest's summit, in feet.
        check_range("elevation", self.elevation, -1_500.0, 30_000.0, &mut errors);
        check_minutes("stop_time_minutes", self.stop_time_minutes, 0, &mut errors);
        check_range(
            "distance_from_start",
            self.distance_from_start,
            0.0,
            MAX_MILES,
            &mut errors,
        );
        if self.order_index < 0 {
            errors.push(FieldError::new("order_index", "must not be negative"));
        }
        if let Some(comments) = &self.comments {
            errors.extend(check_text(
                "comments",
                comments,
                MAX_COMMENTS_CHARS,
                Blank::Allowed,
            ));
        }
        errors
    }

    pub fn apply(&mut self, patch: WaypointPatch) {
        let WaypointPatch {
            name,
            waypoint_type,
            latitude,
            longitude,
            elevation,
            stop_time_minutes,
            comments,
            order_index,
            distance_from_start,
        } = patch;
        set(&mut self.name, name);
        set(&mut self.waypoint_type, waypoint_type);
        set(&mut self.latitude, latitude);
        set(&mut self.longitude, longitude);
        set(&mut self.elevation, elevation);
        set(&mut self.stop_time_minutes, stop_time_minutes);
        set(&mut self.comments, comments);
        set(&mut self.order_index, order_index);
        set(&mut self.distance_from_start, distance_from_start);
    }
}

fn set<T>(slot: &mut T, change: Option<T>) {
    if let Some(value) = change {
        *slot = value;
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
    fn a_patch_changes_only_what_it_names_and_can_clear_nullable_fields() {
        let mut event = fields();
        event.apply(EventPatch {
            distance: Some(None),
            name: Some("WSER".into()),
            ..EventPatch::default()
        });
        assert_eq!(event.name, "WSER");
        assert_eq!(event.distance, None);
        assert_eq!(event.target_duration_minutes, Some(1_440));
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
            order_index: -1,
            distance_from_start: Some(30.3),
        };
        let failed: Vec<_> = waypoint.validate().into_iter().map(|e| e.field).collect();
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
