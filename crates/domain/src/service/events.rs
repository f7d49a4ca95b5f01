use std::sync::Arc;

use uuid::Uuid;

use crate::error::ServiceError;
use crate::models::event::{
    Event, EventFields, EventPatch, NewWaypoint, Waypoint, WaypointFields, WaypointPatch,
};
use crate::ports::{Clock, EventStore, IdSource};

/// Events and their waypoints: validation, identity and timestamps around the store.
pub struct EventService<S: ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl<S: EventStore + ?Sized> EventService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Self {
        Self { store, clock, ids }
    }

    pub async fn list_events(&self) -> Result<Vec<Event>, ServiceError> {
        Ok(self.store.list_events().await?)
    }

    pub async fn get_event(&self, id: Uuid) -> Result<Event, ServiceError> {
        Ok(self.store.get_event(id).await?)
    }

    pub async fn create_event(&self, fields: EventFields) -> Result<Event, ServiceError> {
        ServiceError::invalid_if_any(fields.validate())?;
        let now = self.clock.now();
        let event = Event {
            id: self.ids.new_id(),
            fields,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_event(&event).await?;
        Ok(event)
    }

    pub async fn update_event(&self, id: Uuid, patch: EventPatch) -> Result<Event, ServiceError> {
        let mut event = self.store.get_event(id).await?;
        event.fields.apply(patch);
        ServiceError::invalid_if_any(event.fields.validate())?;
        event.updated_at = self.clock.now();
        self.store.update_event(&event).await?;
        Ok(event)
    }

    pub async fn delete_event(&self, id: Uuid) -> Result<(), ServiceError> {
        Ok(self.store.delete_event(id).await?)
    }

    pub async fn list_waypoints(&self, event_id: Uuid) -> Result<Vec<Waypoint>, ServiceError> {
        Ok(self.store.list_waypoints(event_id).await?)
    }

    pub async fn get_waypoint(&self, id: Uuid) -> Result<Waypoint, ServiceError> {
        Ok(self.store.get_waypoint(id).await?)
    }

    pub async fn create_waypoint(&self, waypoint: NewWaypoint) -> Result<Waypoint, ServiceError> {
        let as_fields = WaypointFields {
            name: waypoint.name.clone(),
            waypoint_type: waypoint.waypoint_type,
            latitude: waypoint.latitude,
            longitude: waypoint.longitude,
            elevation: waypoint.elevation,
            stop_time_minutes: waypoint.stop_time_minutes,
            comments: waypoint.comments.clone(),
            order_index: waypoint.order_index.unwrap_or_default(),
            distance_from_start: waypoint.distance_from_start,
        };
        ServiceError::invalid_if_any(as_fields.validate())?;
        Ok(self
            .store
            .insert_waypoint(self.ids.new_id(), &waypoint, self.clock.now())
            .await?)
    }

    pub async fn update_waypoint(
        &self,
        id: Uuid,
        patch: WaypointPatch,
    ) -> Result<Waypoint, ServiceError> {
        let mut fields = self.store.get_waypoint(id).await?.fields;
        fields.apply(patch);
        ServiceError::invalid_if_any(fields.validate())?;
        Ok(self.store.update_waypoint(id, &fields).await?)
    }

    pub async fn delete_waypoint(&self, id: Uuid) -> Result<(), ServiceError> {
        Ok(self.store.delete_waypoint(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::models::event::WaypointType;
    use crate::ports::{EventStoreError, MockClock, MockEventStore, MockIdSource};

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 27, hour, 0, 0).unwrap()
    }

    fn service(store: MockEventStore, now: DateTime<Utc>) -> EventService<MockEventStore> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now);
        let mut ids = MockIdSource::new();
        ids.expect_new_id().return_const(Uuid::from_u128(7));
        EventService::new(Arc::new(store), Arc::new(clock), Arc::new(ids))
    }

    fn fields(name: &str) -> EventFields {
        EventFields {
            name: name.into(),
            planned_date: Some(at(5)),
            distance: Some(100.2),
            target_duration_minutes: Some(1_440),
            elevation_gain_adjustment_percent: None,
            elevation_descent_adjustment_percent: None,
            fatigue_slowdown_percent: None,
        }
    }

    fn new_waypoint(name: &str, latitude: Option<f64>) -> NewWaypoint {
        NewWaypoint {
            event_id: Uuid::from_u128(1),
            name: name.into(),
            waypoint_type: WaypointType::Water,
            latitude,
            longitude: None,
            elevation: None,
            stop_time_minutes: Some(3),
            comments: None,
            order_index: None,
            distance_from_start: Some(12.0),
        }
    }

    #[tokio::test]
    async fn creating_an_event_gives_it_an_id_and_equal_timestamps() {
        let mut store = MockEventStore::new();
        store
            .expect_insert_event()
            .withf(|e| e.id == Uuid::from_u128(7) && e.created_at == at(1) && e.updated_at == at(1))
            .times(1)
            .returning(|_| Ok(()));
        let event = service(store, at(1))
            .create_event(fields("Hardrock"))
            .await
            .unwrap();
        assert_eq!(event.fields.name, "Hardrock");
    }

    #[tokio::test]
    async fn an_invalid_event_is_never_stored() {
        let store = MockEventStore::new();
        let result = service(store, at(1)).create_event(fields(" ")).await;
        assert!(matches!(result, Err(ServiceError::Invalid(_))));
    }

    #[tokio::test]
    async fn updating_merges_the_patch_and_bumps_updated_at_only() {
        let mut store = MockEventStore::new();
        store.expect_get_event().returning(|id| {
            Ok(Event {
                id,
                fields: fields("Old name"),
                created_at: at(1),
                updated_at: at(1),
            })
        });
        store
            .expect_update_event()
            .withf(|e| {
                e.fields.name == "New name"
                    && e.fields.distance == Some(100.2)
                    && e.created_at == at(1)
                    && e.updated_at == at(9)
            })
            .times(1)
            .returning(|_| Ok(()));
        let patch = EventPatch {
            name: Some("New name".into()),
            ..EventPatch::default()
        };
        let event = service(store, at(9))
            .update_event(Uuid::from_u128(3), patch)
            .await
            .unwrap();
        assert_eq!(event.updated_at, at(9));
    }

    #[tokio::test]
    async fn an_update_that_breaks_a_rule_is_not_stored() {
        let mut store = MockEventStore::new();
        store.expect_get_event().returning(|id| {
            Ok(Event {
                id,
                fields: fields("Name"),
                created_at: at(1),
                updated_at: at(1),
            })
        });
        let patch = EventPatch {
            distance: Some(Some(-1.0)),
            ..EventPatch::default()
        };
        let result = service(store, at(9))
            .update_event(Uuid::from_u128(3), patch)
            .await;
        assert!(
            matches!(result, Err(ServiceError::Invalid(errors)) if errors[0].field == "distance")
        );
    }

    #[tokio::test]
    async fn updating_a_missing_event_is_not_found() {
        let mut store = MockEventStore::new();
        store
            .expect_get_event()
            .returning(|_| Err(EventStoreError::EventNotFound));
        let result = service(store, at(9))
            .update_event(Uuid::from_u128(3), EventPatch::default())
            .await;
        assert!(matches!(result, Err(ServiceError::NotFound("event"))));
    }

    #[tokio::test]
    async fn a_valid_waypoint_is_stored_with_a_fresh_id_and_the_clock_time() {
        let mut store = MockEventStore::new();
        store
            .expect_insert_waypoint()
            .withf(|id, w, created| {
                *id == Uuid::from_u128(7) && w.order_index.is_none() && *created == at(2)
            })
            .times(1)
            .returning(|id, w, created| {
                Ok(Waypoint {
                    id,
                    event_id: w.event_id,
                    fields: WaypointFields {
                        name: w.name.clone(),
                        waypoint_type: w.waypoint_type,
                        latitude: w.latitude,
                        longitude: w.longitude,
                        elevation: w.elevation,
                        stop_time_minutes: w.stop_time_minutes,
                        comments: w.comments.clone(),
                        order_index: 4,
                        distance_from_start: w.distance_from_start,
                    },
                    created_at: created,
                })
            });
        let stored = service(store, at(2))
            .create_waypoint(new_waypoint("Duncan Canyon", Some(39.1)))
            .await
            .unwrap();
        assert_eq!(stored.fields.order_index, 4);
    }

    #[tokio::test]
    async fn a_waypoint_with_impossible_coordinates_is_never_stored() {
        let store = MockEventStore::new();
        let result = service(store, at(2))
            .create_waypoint(new_waypoint("Nowhere", Some(123.0)))
            .await;
        assert!(
            matches!(result, Err(ServiceError::Invalid(errors)) if errors[0].field == "latitude")
        );
    }

    #[tokio::test]
    async fn a_waypoint_for_a_missing_event_is_not_found() {
        let mut store = MockEventStore::new();
        store
            .expect_insert_waypoint()
            .returning(|_, _, _| Err(EventStoreError::EventNotFound));
        let result = service(store, at(2))
            .create_waypoint(new_waypoint("Lost", None))
            .await;
        assert!(matches!(result, Err(ServiceError::NotFound("event"))));
    }

    #[tokio::test]
    async fn a_waypoint_patch_is_validated_after_merging() {
        let mut store = MockEventStore::new();
        store.expect_get_waypoint().returning(|id| {
            Ok(Waypoint {
                id,
                event_id: Uuid::from_u128(1),
                fields: WaypointFields {
                    name: "Foresthill".into(),
                    waypoint_type: WaypointType::Food,
                    latitude: None,
                    longitude: None,
                    elevation: None,
                    stop_time_minutes: None,
                    comments: None,
                    order_index: 2,
                    distance_from_start: Some(62.0),
                },
                created_at: at(1),
            })
        });
        store
            .expect_update_waypoint()
            .withf(|_, f| {
                f.name == "Foresthill" && f.stop_time_minutes == Some(10) && f.order_index == 2
            })
            .times(1)
            .returning(|id, f| {
                Ok(Waypoint {
                    id,
                    event_id: Uuid::from_u128(1),
                    fields: f.clone(),
                    created_at: at(1),
                })
            });
        let patch = WaypointPatch {
            stop_time_minutes: Some(Some(10)),
            ..WaypointPatch::default()
        };
        let updated = service(store, at(3))
            .update_waypoint(Uuid::from_u128(5), patch)
            .await
            .unwrap();
        assert_eq!(updated.fields.stop_time_minutes, Some(10));
    }
}
