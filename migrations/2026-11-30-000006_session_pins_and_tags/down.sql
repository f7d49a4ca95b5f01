DROP INDEX chat_sessions_recent_idx;
CREATE INDEX chat_sessions_recent_idx ON chat_sessions (updated_at DESC, id DESC);
DROP INDEX chat_sessions_event_recent_idx;
CREATE INDEX chat_sessions_event_recent_idx ON chat_sessions (event_id, updated_at DESC, id DESC);
ALTER TABLE chat_sessions DROP COLUMN tags, DROP COLUMN pinned;
