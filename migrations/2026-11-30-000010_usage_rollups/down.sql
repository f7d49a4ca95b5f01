DROP TRIGGER chat_sessions_usage_gone ON chat_sessions;
DROP TRIGGER chat_messages_usage_gone ON chat_messages;
DROP FUNCTION usage_mark_gone();
DROP INDEX chat_sessions_created_idx;
DROP TABLE usage_dirty;
DROP TABLE usage_rollup;
DROP TABLE usage_hours;
