-- Table and column names are the original planner's, so its frontend works unchanged.

CREATE TABLE events (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (btrim(name) <> ''),
    planned_date timestamptz,
    distance double precision CHECK (distance >= 0),
    target_duration_minutes integer CHECK (target_duration_minutes > 0),
    elevation_gain_adjustment_percent double precision,
    elevation_descent_adjustment_percent double precision,
    fatigue_slowdown_percent double precision,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- GET /api/events: by planned date, undated last, then id.
CREATE INDEX events_planned_date_idx ON events (planned_date, id);

CREATE TABLE waypoints (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (btrim(name) <> ''),
    waypoint_type text NOT NULL CHECK (waypoint_type IN ('checkpoint', 'food', 'water', 'rest')),
    latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    elevation double precision,
    stop_time_minutes integer CHECK (stop_time_minutes >= 0),
    comments text,
    order_index integer NOT NULL CHECK (order_index >= 0),
    distance_from_start double precision CHECK (distance_from_start >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- GET /api/events/{id}/waypoints in order, and the cascade from events.
CREATE INDEX waypoints_event_order_idx ON waypoints (event_id, order_index, created_at, id);

CREATE TABLE chat_sessions (
    id uuid PRIMARY KEY,
    event_id uuid REFERENCES events (id) ON DELETE CASCADE,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- GET /api/chat/sessions?event_id=: newest first, ties by id; also serves the cascade.
CREATE INDEX chat_sessions_event_recent_idx ON chat_sessions (event_id, updated_at DESC, id DESC);
-- GET /api/chat/sessions without an event.
CREATE INDEX chat_sessions_recent_idx ON chat_sessions (updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    id uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    -- Insertion order: breaks ties between messages stored within the same microsecond.
    seq bigint GENERATED ALWAYS AS IDENTITY,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL,
    sources jsonb,
    -- What an assistant answer says about itself: whether the text is whole and why not.
    status text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted', 'generating')),
    status_reason text,
    finish_reason text,
    model text,
    prompt_tokens integer,
    completion_tokens integer,
    total_tokens integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'interrupted') = (status_reason IS NOT NULL))
);
-- GET /api/chat/sessions/{id}: messages in order; also serves the cascade from sessions.
CREATE INDEX chat_messages_session_order_idx ON chat_messages (session_id, created_at, seq);
