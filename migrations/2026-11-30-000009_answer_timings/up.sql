-- How long each answer took, for usage figures: from asking the model to its first piece of
-- text (NULL when none came), and to its end. Answers stored before this have neither.
ALTER TABLE chat_messages ADD COLUMN first_token_ms integer, ADD COLUMN duration_ms integer;
