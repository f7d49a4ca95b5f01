-- The CJK pairs function in PL/pgSQL, same body. PostgreSQL plans a stored generated
-- column's expression at every INSERT and UPDATE, and for a SQL-language function that
-- means parsing and analysing its body to see whether it can be inlined (it cannot: it
-- aggregates) before each statement, even when the CASE never calls it. That attempt cost
-- about a tenth of a new chat's database time (pgbench: 2,125 -> 2,360 turns/s at 8
-- clients); a PL/pgSQL function is never inlined, and its plan is cached per connection.
CREATE OR REPLACE FUNCTION aidstation_cjk_pairs(body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
BEGIN
    RETURN (
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(run.text, i, 2))), ''::tsvector)
        FROM regexp_matches(body, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}', 'g') AS found(parts)
        CROSS JOIN LATERAL (SELECT found.parts[1] AS text) AS run
        CROSS JOIN LATERAL generate_series(1, char_length(run.text) - 1) AS i
    );
END
$$;

-- One event's matches straight from the index: with the event in the same GIN index as the
-- words, a search scoped to an event reads the posting lists of common words only where
-- they meet that event's own (a phrase of two common words in one event of a million
-- messages: 20 ms -> 4 ms), and a search across all events uses it for the words alone.
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX chat_messages_search_idx;
CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (event_id, search);
