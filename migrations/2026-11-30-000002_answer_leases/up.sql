-- An answer being written is owned by the instance that writes it, under a lease: the
-- owner renews `renewed_at` (the database's clock) of all its answers every third of the
-- lease, and any instance may mark an answer interrupted once its lease has lapsed. The
-- owner stays recorded, so an owner that was cut off from the database can still complete
-- an answer reaped meanwhile; `stop_requested` asks it to stop.
ALTER TABLE chat_messages
    ADD COLUMN owner_id uuid,
    ADD COLUMN renewed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN stop_requested boolean NOT NULL DEFAULT false;

-- One answer at a time per chat. Keep the newest generating answer of a session, should
-- there be more than one.
UPDATE chat_messages AS older SET status = 'interrupted', status_code = 'process_died'
WHERE older.status = 'generating'
  AND EXISTS (
      SELECT 1 FROM chat_messages AS newer
      WHERE newer.session_id = older.session_id AND newer.status = 'generating'
        AND (newer.created_at, newer.seq) > (older.created_at, older.seq));
DROP INDEX chat_messages_generating_idx;
-- Serves renewal, the reaper and stop requests (few rows: answers being written), and
-- refuses a second generating answer in a session.
CREATE UNIQUE INDEX chat_messages_generating_idx ON chat_messages (session_id)
    WHERE status = 'generating';
-- Answers left generating by an older version have no owner and an old lease: the reaper
-- takes them at once.
UPDATE chat_messages SET renewed_at = '-infinity' WHERE status = 'generating';

-- A moment `ms` milliseconds from now (negative: ago), in the database's clock.
CREATE FUNCTION aidstation_from_now(ms bigint) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$ SELECT now() + ms * interval '1 millisecond' $$;
