-- A chat can be pinned (listed first) and tagged. Tags are kept as given the first time,
-- compared without regard to case (enforced by the app, which also bounds their number and
-- length). Editing a chat does not move it in the list: `updated_at` follows its messages.
ALTER TABLE chat_sessions
    ADD COLUMN pinned boolean NOT NULL DEFAULT false,
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}';

-- Lists are pinned chats first, then newest first: the list indexes follow that order.
DROP INDEX chat_sessions_event_recent_idx;
CREATE INDEX chat_sessions_event_recent_idx
    ON chat_sessions (event_id, pinned DESC, updated_at DESC, id DESC);
DROP INDEX chat_sessions_recent_idx;
CREATE INDEX chat_sessions_recent_idx ON chat_sessions (pinned DESC, updated_at DESC, id DESC);
