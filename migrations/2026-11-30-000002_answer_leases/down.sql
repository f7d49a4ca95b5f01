DROP FUNCTION aidstation_lease_end(bigint);
DROP INDEX chat_messages_generating_idx;
CREATE INDEX chat_messages_generating_idx ON chat_messages (id) WHERE status = 'generating';
DROP TABLE answer_runs;
