-- A complete answer that is still not all a person expects says why: cut at the model's
-- length limit, stopped by its content filter, or written with the chat's older messages
-- left out (the chat was longer than the model's context). Answers finished before this
-- migration get their note from the finish reason they were stored with.
ALTER TABLE chat_messages ADD COLUMN note text
    CHECK (note IN ('length', 'content_filter', 'history_shortened'));
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_note_only_when_complete
    CHECK (note IS NULL OR status = 'complete');
UPDATE chat_messages SET note = finish_reason
WHERE status = 'complete' AND finish_reason IN ('length', 'content_filter');

-- What a provider said about a failure (its wording, account ids, links) and hints for the
-- operator go to the log, never into a person's chat: the reason's code is what is kept.
-- The column stays for instances of the previous version still finishing answers.
UPDATE chat_messages SET status_detail = NULL WHERE status_detail IS NOT NULL;
