-- Where an imported chat came from: the exporter and the conversation's id there. A second
-- import of the same conversation finds its row and stores nothing; deleting the chat
-- deletes the row, so the conversation can be imported again.
CREATE TABLE chat_imports (
    source text NOT NULL CHECK (source IN ('aidstation', 'chatgpt', 'open-webui')),
    external_id text NOT NULL,
    session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    PRIMARY KEY (source, external_id)
);

CREATE INDEX chat_imports_session_idx ON chat_imports (session_id);
