-- Search over chat titles and messages, in PostgreSQL itself (no second system to keep in
-- sync). Words are English-stemmed ("pacing" finds "paced") after accents are folded
-- ("cafe" finds "Café"); text with no spaces between words (Chinese, Japanese, Korean) is
-- indexed as the pairs of characters of each run, so any two or more characters of it
-- find it. The vectors are generated columns: written with the row, existing rows
-- included, nothing to keep in step by hand.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- A message's event, kept with it (a chat never moves to another event), so that a search
-- for a common word walks one event's messages, or all of them, newest first, and stops
-- at the newest matches instead of ranking every one.
ALTER TABLE chat_messages ADD COLUMN event_id uuid;
UPDATE chat_messages AS m SET event_id = s.event_id
FROM chat_sessions AS s WHERE s.id = m.session_id AND s.event_id IS NOT NULL;
CREATE INDEX chat_messages_event_recent_idx ON chat_messages (event_id, created_at DESC);
CREATE INDEX chat_messages_recent_idx ON chat_messages (created_at DESC);

CREATE TEXT SEARCH CONFIGURATION aidstation_search (COPY = english);
ALTER TEXT SEARCH CONFIGURATION aidstation_search
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- Each pair of neighbouring characters in each run of Han, kana or Hangul characters, as
-- lexemes of their own.
CREATE FUNCTION aidstation_cjk_pairs(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(run.text, i, 2))), ''::tsvector)
    FROM regexp_matches(body, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}', 'g') AS found(parts)
    CROSS JOIN LATERAL (SELECT found.parts[1] AS text) AS run
    CROSS JOIN LATERAL generate_series(1, char_length(run.text) - 1) AS i
$$;

-- The vectors are written inline rather than through a function of ours (a call per row
-- costs more than the words), and the pairs are made only for text that has CJK in it: a
-- chat turn's writes stay cheap. An answer being written has no vector until it ends, so
-- its checkpoints do not index text that is about to change.
ALTER TABLE chat_messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN status <> 'generating' THEN
        to_tsvector('aidstation_search'::regconfig, content)
        || CASE WHEN content ~ '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]'
                THEN aidstation_cjk_pairs(content) ELSE ''::tsvector END
    END) STORED;
ALTER TABLE chat_sessions ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('aidstation_search'::regconfig, title)
    || CASE WHEN title ~ '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]'
            THEN aidstation_cjk_pairs(title) ELSE ''::tsvector END) STORED;

CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search);
CREATE INDEX chat_sessions_search_idx ON chat_sessions USING gin (search);
