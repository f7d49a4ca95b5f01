use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::PoolError;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ports::{EventForPrompt, EventStore, EventStoreError};
use domain::{Event, NewWaypoint, Passage, Recall, Waypoint};
use uuid::Uuid;

use crate::PgStore;
use crate::error::DbError;
use crate::memory;
use crate::rows::{EventRow, WaypointRow};
use crate::schema::{events, waypoints};

fn found<T>(rows: usize, missing: EventStoreError, value: T) -> Result<T, EventStoreError> {
    if rows == 0 { Err(missing) } else { Ok(value) }
}

fn to_waypoint(row: WaypointRow) -> Result<Waypoint, EventStoreError> {
    Ok(Waypoint::try_from(row).map_err(DbError::from)?)
}

/// A recall's outcome, when one was asked for.
type Recalled = Option<Result<Vec<Passage>, EventStoreError>>;

impl PgStore {
    /// The event, its waypoints and what `recall` finds, as statements pipelined on one
    /// connection: one round trip. The event's columns come once, not again on each of its
    /// waypoints' rows as a join had them (every chat turn about an event reads it;
    /// decoding 15 such rows was the turn's costliest read), and the recall rides along
    /// rather than taking a connection and a round trip of its own.
    async fn read_event(
        &self,
        id: Uuid,
        recall: Option<&Recall<'_>>,
    ) -> Result<(Event, Vec<Waypoint>, Recalled), EventStoreError> {
        let (event, waypoints, recalled) = self
            .run(async |conn| {
                let mut conn = &*conn;
                let mut recall_conn = conn;
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
                let recalled = async {
                    match recall {
                        Some(recall) => Some(memory::recall(&mut recall_conn, recall).await),
                        None => None,
                    }
                };
                let (event, waypoints, recalled) = futures_util::join!(event, waypoints, recalled);
                Ok((event.optional()?, waypoints?, recalled))
            })
            .await?;
        let event = event.ok_or(EventStoreError::EventNotFound)?;
        let waypoints = waypoints
            .into_iter()
            .map(to_waypoint)
            .collect::<Result<_, _>>()?;
        let recalled = recalled.map(|found| found.map_err(EventStoreError::from));
        Ok((Event::from(event), waypoints, recalled))
    }
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
        let (_, waypoints, _) = self.read_event(event_id, None).await?;
        Ok(waypoints)
    }

    async fn get_event_for_prompt<'a>(
        &self,
        id: Uuid,
        recall: Option<&'a Recall<'a>>,
    ) -> Result<EventForPrompt, EventStoreError> {
        let (event, waypoints, recalled) = match self.read_event(id, recall).await {
            // The recall is what can take long (the event is two reads by key): when the
            // read missed its deadline once it had its connection, the question is asked
            // without the recall, as it would be had the recall failed on its own. Not when
            // no connection came: a second wait for one would only double the first.
            Err(EventStoreError::Unavailable(cause))
                if recall.is_some() && !cause.is::<PoolError>() =>
            {
                let (event, waypoints, _) = self.read_event(id, None).await?;
                let failed = EventStoreError::Unavailable(cause);
                (event, waypoints, Some(Err(failed)))
            }
            read => read?,
        };
        Ok(EventForPrompt {
            event,
            waypoints,
            recalled,
        })
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
