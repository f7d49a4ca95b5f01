-- An answer being written is a run owned by the instance that writes it, under a lease in
-- the database's clock: any instance may mark the answer interrupted once its owner stops
-- renewing the lease. The run stays until its owner finishes the answer, so an owner that
-- was cut off from the database can still complete an answer reaped meanwhile.
CREATE TABLE answer_runs (
    message_id uuid PRIMARY KEY REFERENCES chat_messages (id) ON DELETE CASCADE,
    owner_id uuid NOT NULL,
    lease_until timestamptz NOT NULL,
    stop_requested boolean NOT NULL DEFAULT false
);
-- Renewal and stop requests go by owner; the reaper by expiry.
CREATE INDEX answer_runs_owner_idx ON answer_runs (owner_id);
CREATE INDEX answer_runs_lease_idx ON answer_runs (lease_until);

-- One answer at a time per chat. Keep the newest generating answer of a session, should
-- there be more than one.
UPDATE chat_messages AS older SET status = 'interrupted', status_code = 'process_died'
WHERE older.status = 'generating'
  AND EXISTS (
      SELECT 1 FROM chat_messages AS newer
      WHERE newer.session_id = older.session_id AND newer.status = 'generating'
        AND (newer.created_at, newer.seq) > (older.created_at, older.seq));
DROP INDEX chat_messages_generating_idx;
CREATE UNIQUE INDEX chat_messages_generating_idx ON chat_messages (session_id)
    WHERE status = 'generating';

-- Answers left generating by an older version have no owner: a lapsed run, for the reaper.
INSERT INTO answer_runs (message_id, owner_id, lease_until)
SELECT id, '00000000-0000-0000-0000-000000000000', now() FROM chat_messages
WHERE status = 'generating';

-- When a lease taken or renewed now ends: the database's clock, the app's duration.
CREATE FUNCTION aidstation_lease_end(ms bigint) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$ SELECT now() + ms * interval '1 millisecond' $$;
