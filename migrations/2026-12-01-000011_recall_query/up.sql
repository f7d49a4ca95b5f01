-- What memory's recall looks for: any of the question's words (English-stemmed and
-- accent-folded, like the vectors), or of its CJK pairs when it has some (`pairs` empty
-- otherwise: an empty query would make PostgreSQL send a notice).
--
-- A function, so that the recall can be prepared once per connection and still be planned
-- for its words on every call. It is IMMUTABLE, so in a plan made for the call's values
-- PostgreSQL works it out once, while planning, and sees the words (a rare word is looked
-- up in the index, common ones are met walking the event's newest messages). Its high COST
-- keeps PostgreSQL from ever choosing a generic plan, in which it would be worked out again
-- for every row looked at. PL/pgSQL, because a SQL function would be inlined, and its cost
-- with it.
CREATE FUNCTION aidstation_recall_query(words text, pairs text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT COST 1000000 AS $$
BEGIN
    IF pairs = '' THEN
        RETURN replace(plainto_tsquery('aidstation_search', words)::text, ' & ', ' | ')::tsquery;
    END IF;
    RETURN replace(plainto_tsquery('aidstation_search', words)::text, ' & ', ' | ')::tsquery
        || replace(plainto_tsquery('simple', pairs)::text, ' & ', ' | ')::tsquery;
END
$$;
