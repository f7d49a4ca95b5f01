-- Usage figures of settled hours across every event, so that GET /api/chat/stats without an
-- event reads a row per hour and model instead of every message (crates/store-postgres/src/usage.rs).
-- An hour is settled once it ended over an hour ago and no answer from it still generates;
-- the reader takes the rest from the messages themselves.
CREATE TABLE usage_hours (
    hour timestamptz NOT NULL,
    model text,
    chats bigint NOT NULL,
    questions bigint NOT NULL,
    complete bigint NOT NULL,
    interrupted bigint NOT NULL,
    generating bigint NOT NULL,
    prompt_tokens bigint NOT NULL,
    completion_tokens bigint NOT NULL,
    -- The answers' timings, each a big-endian int4: exact medians without a row per answer.
    first_token_ms bytea NOT NULL,
    duration_ms bytea NOT NULL
);
CREATE INDEX usage_hours_hour_idx ON usage_hours (hour);
-- Random timings do not compress: not worth trying on every write.
ALTER TABLE usage_hours ALTER COLUMN first_token_ms SET STORAGE EXTERNAL,
    ALTER COLUMN duration_ms SET STORAGE EXTERNAL;

-- Every hour before `rolled_until` is in usage_hours, except the hours marked dirty.
CREATE TABLE usage_rollup (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    rolled_until timestamptz NOT NULL
);
INSERT INTO usage_rollup (rolled_until) VALUES ('-infinity');

-- Hours whose rows changed after they were rolled up (deletes, imports): read from the
-- messages until rolled up again. A row per change, never merged, so that rolling up removes
-- only the marks it saw.
CREATE TABLE usage_dirty (
    id bigserial PRIMARY KEY,
    hour timestamptz NOT NULL
);

-- The chats started in the hours read from the table.
CREATE INDEX chat_sessions_created_idx ON chat_sessions (created_at);

CREATE FUNCTION usage_mark_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_dirty (hour)
    SELECT DISTINCT date_trunc('hour', gone.created_at, 'UTC')
    FROM gone, usage_rollup r
    WHERE gone.created_at < r.rolled_until;
    RETURN NULL;
END
$$;

-- Once per DELETE statement, cascades included; inserts and updates (every turn) pay nothing.
CREATE TRIGGER chat_messages_usage_gone AFTER DELETE ON chat_messages
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION usage_mark_gone();
CREATE TRIGGER chat_sessions_usage_gone AFTER DELETE ON chat_sessions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION usage_mark_gone();
