DROP INDEX chat_messages_stop_requested_idx;
ALTER TABLE chat_messages RESET (fillfactor);
