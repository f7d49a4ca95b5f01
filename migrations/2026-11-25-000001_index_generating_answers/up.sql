-- Answers still being written: few at any time, and found at start-up (to mark those a dead
-- process left behind as interrupted) without scanning every message ever written.
CREATE INDEX chat_messages_generating_idx ON chat_messages (id) WHERE status = 'generating';
