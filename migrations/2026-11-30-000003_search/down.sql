DROP INDEX chat_sessions_search_idx;
DROP INDEX chat_messages_search_idx;
ALTER TABLE chat_sessions DROP COLUMN search;
ALTER TABLE chat_messages DROP COLUMN search;
DROP FUNCTION aidstation_cjk_pairs(text);
DROP TEXT SEARCH CONFIGURATION aidstation_search;
DROP INDEX chat_messages_recent_idx;
DROP INDEX chat_messages_event_recent_idx;
ALTER TABLE chat_messages DROP COLUMN event_id;
