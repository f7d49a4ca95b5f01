-- Why an answer was interrupted becomes a code (what the app acts on, and what the person's
-- words are chosen from when the answer is shown) plus the model's own account where there
-- is one. Until now the words themselves were stored; they are read back into codes here.
ALTER TABLE chat_messages ADD COLUMN status_code text;
ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_check;
UPDATE chat_messages SET
    status_code = CASE
        WHEN status_reason LIKE 'The server was restarting%' THEN 'server_shutdown'
        WHEN status_reason LIKE 'The server stopped while%' THEN 'process_died'
        WHEN status_reason LIKE 'The model''s answer was cut off%' THEN 'cut_off'
        ELSE 'model_interrupted'
    END,
    status_reason = CASE
        WHEN status_reason LIKE 'The server was restarting%'
            OR status_reason LIKE 'The server stopped while%'
            OR status_reason LIKE 'The model''s answer was cut off%' THEN NULL
        ELSE status_reason
    END
WHERE status = 'interrupted';
ALTER TABLE chat_messages RENAME COLUMN status_reason TO status_detail;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_interrupted_has_code
    CHECK ((status = 'interrupted') = (status_code IS NOT NULL));
