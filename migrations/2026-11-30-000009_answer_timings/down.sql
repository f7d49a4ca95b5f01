ALTER TABLE chat_messages DROP COLUMN first_token_ms, DROP COLUMN duration_ms;
