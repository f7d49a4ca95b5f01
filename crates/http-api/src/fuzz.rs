//! Request bodies under random JSON: every DTO is decoded, converted and validated without a
//! panic, and a refusal is always a 400 or a 422. Objects mostly use the API's own field
//! names, so values reach the conversions and the domain's rules.

use domain::{EventFields, WaypointEdit, WaypointFields};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::chat_turns::dto::ChatRequest;
use crate::error::ApiError;
use crate::events::dto::{CreateEventRequest, UpdateEventRequest};
use crate::extract::decode;
use crate::waypoints::dto::{CreateWaypointRequest, UpdateWaypointRequest};

const FIELDS: [&str; 22] = [
    "message",
    "event_id",
    "session_id",
    "name",
    "planned_date",
    "distance",
    "target_duration_minutes",
    "elevation_gain_adjustment_percent",
    "elevation_descent_adjustment_percent",
    "fatigue_slowdown_percent",
    "waypoint_type",
    "latitude",
    "longitude",
    "elevation",
    "stop_time_minutes",
    "comments",
    "order_index",
    "distance_from_start",
    "id",
    "created_at",
    "",
    "\u{0}",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-20_000.0..20_000.0f64).prop_map(Value::from),
        (-5i64..12_000).prop_map(|n| Value::from(n as f64)),
        prop::sample::select(vec![
            "",
            " ",
            "\u{0}",
            "food",
            "checkpoint",
            "2026-06-27T05:00:00Z",
            "2026-06-27",
            "2026-13-45T99:99:99",
            "01a21012-a37a-70a9-8ec6-bd29c8224bb5",
            "00000000-0000-0000-0000-000000000000",
            "{01a21012-a37a-70a9-8ec6-bd29c8224bb5}",
        ])
        .prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        4 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
                        1 => "\\PC{0,8}",
                    ],
                    inner
                ),
                0..10
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Decodes `body` as `T`, then runs what the handler would run on it.
fn handle<T: serde::de::DeserializeOwned>(
    body: &[u8],
    then: impl FnOnce(T) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    then(decode::<T>(body)?)
}

fn is_client_error(result: &Result<(), ApiError>) -> bool {
    matches!(
        result,
        Ok(()) | Err(ApiError::Malformed(_) | ApiError::Invalid(_))
    )
}

proptest! {
    #[test]
    fn any_json_body_is_accepted_or_refused_as_400_or_422_never_a_panic(value in json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let results = [
            handle::<ChatRequest>(&body, |r| r.try_into_domain().map(drop)),
            handle::<CreateEventRequest>(&body, |r| {
                let fields: EventFields = r.into_domain();
                let _ = fields.validate();
                Ok(())
            }),
            handle::<UpdateEventRequest>(&body, |r| {
                let mut fields = EventFields {
                    name: "Western States".into(),
                    planned_date: None,
                    distance: Some(100.2),
                    target_duration_minutes: None,
                    elevation_gain_adjustment_percent: None,
                    elevation_descent_adjustment_percent: None,
                    fatigue_slowdown_percent: None,
                };
                r.apply(&mut fields);
                let _ = fields.validate();
                Ok(())
            }),
            handle::<CreateWaypointRequest>(&body, |r| r.try_into_domain().map(drop)),
            handle::<UpdateWaypointRequest>(&body, |r| {
                let mut fields = WaypointFields {
                    name: "Robinson Flat".into(),
                    waypoint_type: domain::WaypointType::Food,
                    latitude: None,
                    longitude: None,
                    elevation: None,
                    stop_time_minutes: None,
                    comments: None,
                    distance_from_start: None,
                };
                let mut order_index = 0;
                r.try_into_edit()?(&mut WaypointEdit { fields: &mut fields, order_index: &mut order_index });
                let _ = fields.validate(Some(order_index));
                Ok(())
            }),
        ];
        for result in &results {
            prop_assert!(is_client_error(result), "{result:?}");
        }
    }

    #[test]
    fn any_bytes_as_a_body_are_a_400_or_a_422_never_a_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let result = handle::<CreateEventRequest>(&body, |_| Ok(()));
        prop_assert!(is_client_error(&result), "{result:?}");
    }
}
