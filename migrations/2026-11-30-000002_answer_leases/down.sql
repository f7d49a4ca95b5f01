DROP FUNCTION aidstation_from_now(bigint);
DROP INDEX chat_messages_generating_idx;
CREATE INDEX chat_messages_generating_idx ON chat_messages (id) WHERE status = 'generating';
ALTER TABLE chat_messages
    DROP COLUMN stop_requested,
    DROP COLUMN renewed_at,
    DROP COLUMN owner_id;
