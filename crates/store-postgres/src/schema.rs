//! Diesel's view of the tables created by `migrations/`.

diesel::table! {
    events (id) {
        id -> Uuid,
        name -> Text,
        planned_date -> Nullable<Timestamptz>,
        distance -> Nullable<Float8>,
        target_duration_minutes -> Nullable<Int4>,
        elevation_gain_adjustment_percent -> Nullable<Float8>,
        elevation_descent_adjustment_percent -> Nullable<Float8>,
        fatigue_slowdown_percent -> Nullable<Float8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    waypoints (id) {
        id -> Uuid,
        event_id -> Uuid,
        name -> Text,
        waypoint_type -> Text,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        elevation -> Nullable<Float8>,
        stop_time_minutes -> Nullable<Int4>,
        comments -> Nullable<Text>,
        order_index -> Int4,
        distance_from_start -> Nullable<Float8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    chat_sessions (id) {
        id -> Uuid,
        event_id -> Nullable<Uuid>,
        title -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        pinned -> Bool,
        tags -> Array<Text>,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> Uuid,
        session_id -> Uuid,
        seq -> Int8,
        role -> Text,
        content -> Text,
        sources -> Nullable<Jsonb>,
        status -> Text,
        status_code -> Nullable<Text>,
        status_detail -> Nullable<Text>,
        finish_reason -> Nullable<Text>,
        model -> Nullable<Text>,
        prompt_tokens -> Nullable<Int4>,
        completion_tokens -> Nullable<Int4>,
        total_tokens -> Nullable<Int4>,
        created_at -> Timestamptz,
        owner_id -> Nullable<Uuid>,
        event_id -> Nullable<Uuid>,
        renewed_at -> Timestamptz,
        stop_requested -> Bool,
        note -> Nullable<Text>,
        first_token_ms -> Nullable<Int4>,
        duration_ms -> Nullable<Int4>,
    }
}

diesel::joinable!(waypoints -> events (event_id));
diesel::joinable!(chat_sessions -> events (event_id));
diesel::joinable!(chat_messages -> chat_sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(events, waypoints, chat_sessions, chat_messages);

diesel::table! {
    chat_shares (id) {
        id -> Uuid,
        session_id -> Uuid,
        token_sha256 -> Bytea,
        title -> Text,
        messages -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(chat_shares -> chat_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(chat_shares, chat_sessions);

diesel::table! {
    chat_imports (source, external_id) {
        source -> Text,
        external_id -> Text,
        session_id -> Uuid,
    }
}

diesel::joinable!(chat_imports -> chat_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(chat_imports, chat_sessions);
