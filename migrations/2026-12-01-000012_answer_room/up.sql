-- Room on each page for a message's next version. An answer being written is saved every
-- few seconds, and each save is a new version of its row; when that version fits on the same
-- page, PostgreSQL links it from the old one (a HOT update) and leaves every index alone.
-- On full pages a third of the saves of 5,000 open answers went elsewhere, each adding an
-- entry to all six indexes of the table, the search index among them. Pages written from now
-- on are filled to 80 %; existing ones stay as they are.
ALTER TABLE chat_messages SET (fillfactor = 80);

-- Each instance asks twice a second whether someone wants one of its answers stopped; with
-- no index for it, that read walked every answer being written (35 ms with 20,000 open).
-- Only answers asked to stop are in this one, so it costs the other writes nothing.
CREATE INDEX chat_messages_stop_requested_idx ON chat_messages (owner_id)
    WHERE status = 'generating' AND stop_requested;
