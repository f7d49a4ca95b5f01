use std::sync::Arc;

use uuid::Uuid;

use crate::error::ServiceError;
use crate::models::event::{Event, EventFields, NewWaypoint, Waypoint, WaypointFields};
use crate::ports::{EventStore, Stamps};

/// Events and their waypoints: validation, identity and timestamps around the store.
///
/// Updates take an edit of the stored value rather than a patch type: a client's partial
/// update is the inbound adapter's to read, and the rules are checked on the result.
pub struct EventService<S: ?Sized> {
    store: Arc<S>,
    stamps: Stamps,
}

impl<S: EventStore + ?Sized> EventService<S> {
    pub fn new(store: Arc<S>, stamps: Stamps) -> Self {
        Self { store, stamps }
    }

    pub async fn list_events(&self) -> Result<Vec<Event>, ServiceError> {
        Ok(self.store.list_events().await?)
    }

    pub async fn get_event(&self, id: Uuid) -> Result<Event, ServiceError> {
        Ok(self.store.get_event(id).await?)
    }

    pub async fn create_event(&self, fields: EventFields) -> Result<Event, ServiceError> {
        ServiceError::invalid_if_any(fields.validate())?;
        let now = self.stamps.clock.now();
        let event = Event {
            id: self.stamps.ids.new_id(),
            fields,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_event(&event).await?;
        Ok(event)
    }

    /// Applies `edit` to the stored fields, checks the result and stores it.
    pub async fn update_event(
        &self,
        id: Uuid,
        edit: impl FnOnce(&mut EventFields) + Send,
    ) -> Result<Event, ServiceError> {
        let mut event = self.store.get_event(id).await?;
        edit(&mut event.fields);
        ServiceError::invalid_if_any(event.fields.validate())?;
        event.updated_at = self.stamps.clock.now();
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
        ServiceError::invalid_if_any(waypoint.fields.validate(waypoint.order_index))?;
        Ok(self
            .store
            .insert_waypoint(self.stamps.ids.new_id(), &waypoint, self.stamps.clock.now())
            .await?)
    }

    /// Applies `edit` to the stored waypoint (its fields and order), checks the result and
    /// stores it; its identity, event and creation time stay as stored.
    pub async fn update_waypoint(
        &self,
        id: Uuid,
        edit: impl FnOnce(&mut WaypointEdit<'_>) + Send,
    ) -> Result<Waypoint, ServiceError> {
        let mut waypoint = self.store.get_waypoint(id).await?;
        edit(&mut WaypointEdit {
            fields: &mut waypoint.fields,
            order_index: &mut waypoint.order_index,
        });
        ServiceError::invalid_if_any(waypoint.fields.validate(Some(waypoint.order_index)))?;
        Ok(self.store.update_waypoint(&waypoint).await?)
    }

    pub async fn delete_waypoint(&self, id: Uuid) -> Result<(), ServiceError> {
        Ok(self.store.delete_waypoint(id).await?)
    }
}

/// What an update may change of a waypoint.
pub struct WaypointEdit<'a> {
    pub fields: &'a mut WaypointFields,
    pub order_index: &'a mut i32,
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::error::Missing;
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
        let stamps = Stamps {
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            instance: Uuid::nil(),
        };
        EventService::new(Arc::new(store), stamps)
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
            order_index: None,
            fields: WaypointFields {
                name: name.into(),
                waypoint_type: WaypointType::Water,
                latitude,
                longitude: None,
                elevation: None,
                stop_time_minutes: Some(3),
                comments: None,
                distance_from_start: Some(12.0),
            },
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
    async fn updating_applies_the_edit_and_bumps_updated_at_only() {
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
        let event = service(store, at(9))
            .update_event(Uuid::from_u128(3), |f| f.name = "New name".into())
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
        let result = service(store, at(9))
            .update_event(Uuid::from_u128(3), |f| f.distance = Some(-1.0))
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
            .update_event(Uuid::from_u128(3), |_| {})
            .await;
        assert!(matches!(
            result,
            Err(ServiceError::NotFound(Missing::Event))
        ));
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
                    order_index: 4,
                    fields: w.fields.clone(),
                    created_at: created,
                })
            });
        let stored = service(store, at(2))
            .create_waypoint(new_waypoint("Duncan Canyon", Some(39.1)))
            .await
            .unwrap();
        assert_eq!(stored.order_index, 4);
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
        assert!(matches!(
            result,
            Err(ServiceError::NotFound(Missing::Event))
        ));
    }

    #[tokio::test]
    async fn a_waypoint_edit_is_validated_after_it_is_applied() {
        let mut store = MockEventStore::new();
        store.expect_get_waypoint().returning(|id| {
            Ok(Waypoint {
                id,
                event_id: Uuid::from_u128(1),
                order_index: 2,
                fields: WaypointFields {
                    name: "Foresthill".into(),
                    waypoint_type: WaypointType::Food,
                    latitude: None,
                    longitude: None,
                    elevation: None,
                    stop_time_minutes: None,
                    comments: None,
                    distance_from_start: Some(62.0),
                },
                created_at: at(1),
            })
        });
        store
            .expect_update_waypoint()
            .withf(|w| {
                w.fields.name == "Foresthill"
                    && w.fields.stop_time_minutes == Some(10)
                    && w.order_index == 2
                    && w.created_at == at(1)
            })
            .times(1)
            .returning(|w| Ok(w.clone()));
        let updated = service(store, at(3))
            .update_waypoint(Uuid::from_u128(5), |w| {
                w.fields.stop_time_minutes = Some(10);
            })
            .await
            .unwrap();
        assert_eq!(updated.fields.stop_time_minutes, Some(10));
    }
}
