-- Read-only links to a chat. A link is a copy of the chat when it was made (its title and
-- finished messages, in order, as `chat_messages` rows in JSON), so later turns, renames
-- and answers still being written then never show through it. Only the SHA-256 of the
-- token is kept. Deleting the chat deletes its links. A later migration that changes the
-- columns of `chat_messages` rewrites `messages` here too.
CREATE TABLE chat_shares (
    id uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
    title text NOT NULL,
    messages jsonb NOT NULL CHECK (jsonb_typeof(messages) = 'array'),
    created_at timestamptz NOT NULL
);

CREATE INDEX chat_shares_session_idx ON chat_shares (session_id, created_at, id);
