ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_interrupted_has_code;
ALTER TABLE chat_messages RENAME COLUMN status_detail TO status_reason;
UPDATE chat_messages SET status_reason = coalesce(status_reason, CASE status_code
        WHEN 'server_shutdown' THEN 'The server was restarting; the answer was cut short.'
        WHEN 'process_died' THEN 'The server stopped while this answer was being written; it was cut short.'
        WHEN 'cut_off' THEN 'The model''s answer was cut off before it finished.'
        ELSE 'The answer was interrupted.'
    END)
WHERE status = 'interrupted';
ALTER TABLE chat_messages DROP COLUMN status_code;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_check
    CHECK ((status = 'interrupted') = (status_reason IS NOT NULL));
