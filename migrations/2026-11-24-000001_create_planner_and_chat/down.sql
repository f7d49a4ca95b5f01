DROP TABLE chat_messages;
DROP TABLE chat_sessions;
DROP TABLE waypoints;
DROP TABLE events;
