DROP INDEX chat_messages_search_idx;
CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search);
DROP EXTENSION IF EXISTS btree_gin;

-- Back to the SQL-language function of the search migration.
CREATE OR REPLACE FUNCTION aidstation_cjk_pairs(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(run.text, i, 2))), ''::tsvector)
    FROM regexp_matches(body, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}', 'g') AS found(parts)
    CROSS JOIN LATERAL (SELECT found.parts[1] AS text) AS run
    CROSS JOIN LATERAL generate_series(1, char_length(run.text) - 1) AS i
$$;
