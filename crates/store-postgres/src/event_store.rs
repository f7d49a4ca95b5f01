use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ports::{EventStore, EventStoreError};
use domain::{Event, NewWaypoint, Waypoint};
use uuid::Uuid;

use crate::PgStore;
use crate::error::DbError;
use crate::rows::{EventRow, WaypointRow};
use crate::schema::{events, waypoints};

fn found<T>(rows: usize, missing: EventStoreError, value: T) -> Result<T, EventStoreError> {
    if rows == 0 { Err(missing) } else { Ok(value) }
}

fn to_waypoint(row: WaypointRow) -> Result<Waypoint, EventStoreError> {
    Ok(Waypoint::try_from(row).map_err(DbError::from)?)
}

#[async_trait]
impl EventStore for PgStore {
    async fn list_events(&self) -> Result<Vec<Event>, EventStoreError> {
        let rows: Vec<EventRow> = self
            .run(async |conn| {
                Ok(events::table
                    .select(EventRow::as_select())
                    .order((events::planned_date.asc().nulls_last(), events::id.asc()))
                    .load(conn)
                    .await?)
            })
            .await?;
        Ok(rows.into_iter().map(Event::from).collect())
    }

    async fn get_event(&self, id: Uuid) -> Result<Event, EventStoreError> {
        let row: Option<EventRow> = self
            .run(async |conn| {
                Ok(events::table
                    .find(id)
                    .select(EventRow::as_select())
                    .first(conn)
                    .await
                    .optional()?)
            })
            .await?;
        row.map(Event::from).ok_or(EventStoreError::EventNotFound)
    }

    async fn insert_event(&self, event: &Event) -> Result<(), EventStoreError> {
        let row = EventRow::from(event);
        self.run(async |conn| {
            diesel::insert_into(events::table)
                .values(row)
                .execute(conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn update_event(&self, event: &Event) -> Result<(), EventStoreError> {
        let row = EventRow::from(event);
        let updated = self
            .run(async |conn| {
                Ok(diesel::update(events::table.find(event.id))
                    .set(row)
                    .execute(conn)
                    .await?)
            })
            .await?;
        found(updated, EventStoreError::EventNotFound, ())
    }

    async fn delete_event(&self, id: Uuid) -> Result<(), EventStoreError> {
        let deleted = self
            .run(async |conn| Ok(diesel::delete(events::table.find(id)).execute(conn).await?))
            .await?;
        found(deleted, EventStoreError::EventNotFound, ())
    }

    async fn list_waypoints(&self, event_id: Uuid) -> Result<Vec<Waypoint>, EventStoreError> {
        let (_, waypoints) = self.get_event_with_waypoints(event_id).await?;
        Ok(waypoints)
    }

    async fn get_event_with_waypoints(
        &self,
        id: Uuid,
    ) -> Result<(Event, Vec<Waypoint>), EventStoreError> {
        // Two statements in one round trip (pipelined on one connection): the event's
        // columns come once, not again on each of its waypoints' rows as a join had them
        // (every chat turn about an event reads it; decoding 15 such rows was the turn's
        // costliest read).
        let (event, waypoints) = self
            .run(async |conn| {
                let mut conn = &*conn;
                let event = events::table
                    .find(id)
                    .select(EventRow::as_select())
                    .first::<EventRow>(&mut conn);
                let waypoints = waypoints::table
                    .filter(waypoints::event_id.eq(id))
                    .order((
                        waypoints::order_index.asc(),
                        waypoints::created_at.asc(),
                        waypoints::id.asc(),
                    ))
                    .select(WaypointRow::as_select())
                    .load::<WaypointRow>(&mut conn);
                let (event, waypoints) = futures_util::join!(event, waypoints);
                Ok((event.optional()?, waypoints?))
            })
            .await?;
        let event = event.ok_or(EventStoreError::EventNotFound)?;
        let waypoints = waypoints
            .into_iter()
            .map(to_waypoint)
            .collect::<Result<_, _>>()?;
        Ok((Event::from(event), waypoints))
    }

    async fn get_waypoint(&self, id: Uuid) -> Result<Waypoint, EventStoreError> {
        let row: Option<WaypointRow> = self
            .run(async |conn| {
                Ok(waypoints::table
                    .find(id)
                    .select(WaypointRow::as_select())
                    .first(conn)
                    .await
                    .optional()?)
            })
            .await?;
        to_waypoint(row.ok_or(EventStoreError::WaypointNotFound)?)
    }

    async fn insert_waypoint(
        &self,
        id: Uuid,
        waypoint: &NewWaypoint,
        created_at: DateTime<Utc>,
    ) -> Result<Waypoint, EventStoreError> {
        let row = self
            .run(async |conn| {
                conn.transaction::<_, DbError, _>(async |conn| {
                    // Locking the event serialises "append at the end" among concurrent
                    // inserts and tells a missing event apart.
                    let event: Option<Uuid> = events::table
                        .find(waypoint.event_id)
                        .select(events::id)
                        .for_update()
                        .first(conn)
                        .await
                        .optional()?;
                    if event.is_none() {
                        return Ok(None);
                    }
                    let order_index = match waypoint.order_index {
                        Some(index) => index,
                        None => waypoints::table
                            .filter(waypoints::event_id.eq(waypoint.event_id))
                            .select(diesel::dsl::max(waypoints::order_index))
                            .first::<Option<i32>>(conn)
                            .await?
                            .map_or(0, |last| last.saturating_add(1)),
                    };
                    let row = WaypointRow::new(id, waypoint, order_index, created_at);
                    Ok(Some(
                        diesel::insert_into(waypoints::table)
                            .values(&row)
                            .returning(WaypointRow::as_returning())
                            .get_result(conn)
                            .await?,
                    ))
                })
                .await
            })
            .await?;
        to_waypoint(row.ok_or(EventStoreError::EventNotFound)?)
    }

    async fn update_waypoint(&self, waypoint: &Waypoint) -> Result<Waypoint, EventStoreError> {
        let changes = WaypointRow::from(waypoint);
        let row: Option<WaypointRow> = self
            .run(async |conn| {
                Ok(diesel::update(waypoints::table.find(waypoint.id))
                    .set(changes)
                    .returning(WaypointRow::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?)
            })
            .await?;
        to_waypoint(row.ok_or(EventStoreError::WaypointNotFound)?)
    }

    async fn delete_waypoint(&self, id: Uuid) -> Result<(), EventStoreError> {
        let deleted = self
            .run(async |conn| {
                Ok(diesel::delete(waypoints::table.find(id))
                    .execute(conn)
                    .await?)
            })
            .await?;
        found(deleted, EventStoreError::WaypointNotFound, ())
    }
}
