ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_note_only_when_complete;
ALTER TABLE chat_messages DROP COLUMN note;
