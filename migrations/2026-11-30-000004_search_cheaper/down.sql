-- The PL/pgSQL pairs function gives the same pairs as the SQL one it replaced, so it stays.
DROP INDEX chat_messages_search_idx;
CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search);
DROP EXTENSION IF EXISTS btree_gin;
