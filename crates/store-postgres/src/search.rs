//! Search over titles and messages with the vectors and indexes of the `search` migration.
//!
//! The text is split in two: words go to `websearch_to_tsquery` (all must match, `"a
//! phrase"`, `or`, `-left out`), English-stemmed and accent-folded like the stored vectors;
//! each run of CJK characters becomes the pairs of characters the vectors hold for such text,
//! all of which must match. Hits rank phrase and title matches first, then relevance
//! (`ts_rank_cd`), then recency. Only the newest 300 matching messages are ranked (and so
//! paged through; titles come on top): a rare term has fewer, and for a common one the
//! planner walks the messages newest first (of one event, or all) and stops there, rather
//! than ranking a third of the table; ranking 300 rather than 600 halves that walk (3.4 to
//! 1.8 ms for a word in a third of a million messages, in one event). Phrases and CJK text
//! always take their matches from the index ([`Plan`]). Snippets are cut by `ts_headline`
//! around the match with private-use characters around each term, which this module turns
//! into plain text and character ranges, so no markup ever travels with the content.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::{SearchHit, SearchPage, SearchQuery};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::rows::{UnknownValue, role};

/// Where `ts_headline` starts and ends a matched term: characters of Unicode's private use
/// area, which text a person typed or a model wrote does not hold (any that do are dropped
/// from snippets).
const START: char = '\u{E000}';
const STOP: char = '\u{E001}';

/// Ranks hits and keeps one page (and one more, to know whether more follow); the snippets
/// are cut for that page only. `{with}`, `{query}`, `{phrase}`, `{in_event}` and `{order}`
/// are filled in per [`Plan`].
const SEARCH_SQL: &str = "
WITH {with}candidates AS (
    SELECT m.id, m.session_id, m.role, m.created_at, m.content, m.search
    FROM chat_messages m
    WHERE m.search @@ {query} AND {in_event}
    ORDER BY {order}
    LIMIT 300
), titled AS (
    SELECT s.id, s.updated_at, s.title, ts_rank_cd(s.search, {query}) AS rank
    FROM chat_sessions s
    WHERE s.search @@ {query} AND {session_in_event}
), message_hits AS (
    SELECT c.id AS message_id, c.session_id, c.role, c.created_at, c.content AS body,
           ts_rank_cd(c.search, {query}) AS rank,
           c.session_id IN (SELECT id FROM titled) OR {phrase} AS first
    FROM candidates c
), title_hits AS (
    SELECT NULL::uuid AS message_id, t.id AS session_id, NULL::text AS role,
           t.updated_at AS created_at, t.title AS body, t.rank, true AS first
    FROM titled t
    WHERE NOT EXISTS (SELECT 1 FROM message_hits h WHERE h.session_id = t.id)
), page AS (
    SELECT * FROM message_hits UNION ALL SELECT * FROM title_hits
    ORDER BY first DESC, rank DESC, created_at DESC, message_id NULLS FIRST, session_id
    LIMIT $5 OFFSET $6
)
SELECT page.message_id, page.session_id, page.role, page.created_at, s.title AS session_title, s.event_id,
       ts_headline('aidstation_search', page.body, {query},
           'StartSel=\u{E000}, StopSel=\u{E001}, MaxWords=28, MinWords=12, MaxFragments=1, ShortWord=1, FragmentDelimiter=\" … \"') AS headline,
       page.body
FROM page JOIN chat_sessions s ON s.id = page.session_id
ORDER BY page.first DESC, page.rank DESC, page.created_at DESC, page.message_id NULLS FIRST, page.session_id";

/// The query's words, stemmed and folded as the vectors are, with its CJK pairs.
const QUERY: &str =
    "(websearch_to_tsquery('aidstation_search', $1) && plainto_tsquery('simple', $2))";

/// How [`SEARCH_SQL`] finds its candidates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    /// Plain words: the query is written out where it is used, so that the planner sees
    /// them (a plan for any words and any event would scan all messages, so PostgreSQL keeps
    /// planning this one for its values): a rare word is looked up in the GIN index, a common
    /// one is checked while walking the messages newest first (of the event, or all) by the
    /// recency indexes, stopping at the newest matches.
    Walk,
    /// Phrases and CJK text, whose matches PostgreSQL overestimates (it prices a phrase like
    /// its words apart, a pair of characters like a word), so that it would walk a million
    /// messages for a few hundred: ordered by an expression no index gives, the matches
    /// come from the GIN index whatever the words. The plan does not depend on them, so the
    /// query is worked out once per call (a CTE, read as an init plan) and the statement, one
    /// for an event and one for all, is planned once per connection rather than on every
    /// call (planning was 0.46 of 4.3 ms for a phrase in one event).
    FromIndex { in_event: bool },
}

impl Plan {
    fn of(terms: &Terms, event: Option<Uuid>) -> Self {
        if terms.pairs.is_empty() && !terms.words.contains('"') {
            Self::Walk
        } else {
            Self::FromIndex {
                in_event: event.is_some(),
            }
        }
    }

    fn sql(self) -> &'static str {
        static WALK: LazyLock<String> = LazyLock::new(|| Plan::Walk.render());
        static IN_EVENT: LazyLock<String> =
            LazyLock::new(|| Plan::FromIndex { in_event: true }.render());
        static EVERYWHERE: LazyLock<String> =
            LazyLock::new(|| Plan::FromIndex { in_event: false }.render());
        match self {
            Self::Walk => &WALK,
            Self::FromIndex { in_event: true } => &IN_EVENT,
            Self::FromIndex { in_event: false } => &EVERYWHERE,
        }
    }

    fn render(self) -> String {
        let phrase = "phraseto_tsquery('aidstation_search', $3)";
        let (with, query, phrase, order, in_event) = match self {
            Self::Walk => (
                String::new(),
                QUERY.to_owned(),
                format!("(numnode({phrase}) > 1 AND c.search @@ {phrase})"),
                "m.created_at DESC",
                "($4::uuid IS NULL OR {t}.event_id = $4)",
            ),
            Self::FromIndex { in_event } => (
                format!(
                    "q AS MATERIALIZED (SELECT {QUERY} AS query, \
                     CASE WHEN numnode({phrase}) > 1 THEN {phrase} END AS phrase), "
                ),
                "(SELECT query FROM q)".to_owned(),
                "coalesce(c.search @@ (SELECT phrase FROM q), false)".to_owned(),
                "m.created_at + interval '0' DESC",
                if in_event {
                    "{t}.event_id = $4"
                } else {
                    "true"
                },
            ),
        };
        SEARCH_SQL
            .replace("{with}", &with)
            .replace("{query}", &query)
            .replace("{phrase}", &phrase)
            .replace("{order}", order)
            .replace("{in_event}", &in_event.replace("{t}", "m"))
            .replace("{session_in_event}", &in_event.replace("{t}", "s"))
    }
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    message_id: Option<Uuid>,
    #[diesel(sql_type = SqlUuid)]
    session_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    role: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    session_title: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    event_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    headline: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// The text of a query, as the SQL above takes it.
pub(crate) struct Terms {
    /// Everything but the CJK runs, for `websearch_to_tsquery`.
    pub(crate) words: String,
    /// The pairs of characters of each CJK run, space-separated, for `plainto_tsquery`.
    pub(crate) pairs: String,
    /// The words alone, operators and quotes left out, for the phrase bonus.
    phrase: String,
    /// The CJK runs, to mark in snippets (the stored pairs are not words `ts_headline` sees).
    runs: Vec<String>,
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7af}' | '\u{f900}'..='\u{faff}')
}

pub(crate) fn terms(text: &str) -> Terms {
    let mut words = String::new();
    let mut runs: Vec<String> = Vec::new();
    let mut in_run = false;
    for c in text.chars() {
        if is_cjk(c) {
            if !in_run {
                runs.push(String::new());
                words.push(' ');
            }
            if let Some(run) = runs.last_mut() {
                run.push(c);
            }
            in_run = true;
        } else {
            words.push(c);
            in_run = false;
        }
    }
    runs.retain(|run| run.chars().count() >= 2);
    let pairs = runs
        .iter()
        .flat_map(|run| {
            let chars: Vec<char> = run.chars().collect();
            chars
                .windows(2)
                .map(|pair| pair.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let phrase = words
        .split_whitespace()
        .filter(|word| !word.starts_with('-') && !word.eq_ignore_ascii_case("or"))
        .collect::<Vec<_>>()
        .join(" ")
        .replace('"', " ");
    Terms {
        words,
        pairs,
        phrase,
        runs,
    }
}

/// `headline` without its markers, and the character ranges they enclosed.
pub(crate) fn unmark(headline: &str) -> (String, Vec<(usize, usize)>) {
    let mut text = String::with_capacity(headline.len());
    let mut ranges = Vec::new();
    let mut count = 0;
    let mut start = None;
    for c in headline.chars() {
        match c {
            START => start = Some(count),
            STOP => {
                if let Some(from) = start.take().filter(|&from| from < count) {
                    ranges.push((from, count));
                }
            }
            _ => {
                text.push(c);
                count += 1;
            }
        }
    }
    (text, ranges)
}

/// A window of `body` around the first CJK run found in it, with every run marked: what
/// `ts_headline` cannot do for text it sees as one long word.
fn around_runs(body: &str, runs: &[String]) -> Option<(String, Vec<(usize, usize)>)> {
    const BEFORE: usize = 30;
    const LENGTH: usize = 120;
    let chars: Vec<char> = body.chars().filter(|&c| c != START && c != STOP).collect();
    let found = |from: usize, run: &[char]| {
        (from..chars.len().saturating_sub(run.len() - 1)).find(|&i| chars[i..].starts_with(run))
    };
    let runs: Vec<Vec<char>> = runs.iter().map(|run| run.chars().collect()).collect();
    let first = runs.iter().filter_map(|run| found(0, run)).min()?;
    let start = first.saturating_sub(BEFORE);
    let end = (start + LENGTH).min(chars.len());
    let mut ranges = Vec::new();
    for run in &runs {
        let mut from = start;
        while let Some(at) = found(from, run).filter(|&at| at + run.len() <= end) {
            ranges.push((at - start, at - start + run.len()));
            from = at + run.len();
        }
    }
    ranges.sort_unstable();
    ranges.dedup_by(|later, earlier| later.0 < earlier.1);
    Some((chars[start..end].iter().collect(), ranges))
}

fn hit(row: HitRow, terms: &Terms) -> Result<SearchHit, UnknownValue> {
    let (mut snippet, mut highlights) = unmark(&row.headline);
    if highlights.is_empty()
        && let Some((window, ranges)) = around_runs(&row.body, &terms.runs)
    {
        (snippet, highlights) = (window, ranges);
    }
    Ok(SearchHit {
        session_id: row.session_id,
        session_title: row.session_title,
        event_id: row.event_id,
        message_id: row.message_id,
        role: row.role.map(role).transpose()?,
        created_at: row.created_at,
        snippet,
        highlights,
    })
}

/// The statement [`search`] issues for `query`, its values written in (one pass, so no value
/// is read as a placeholder): what the benchmark's pgbench floor runs.
pub fn search_statement(query: &SearchQuery) -> String {
    let terms = terms(query.text());
    let values = [
        literal(&terms.words),
        literal(&terms.pairs),
        literal(&terms.phrase),
        query
            .event_id()
            .map_or_else(|| "NULL".to_owned(), |id| literal(&id.to_string())),
        (query.limit() + 1).to_string(),
        query.offset().to_string(),
    ];
    written_in(Plan::of(&terms, query.event_id()).sql(), &values)
}

/// `value` as an SQL string literal.
pub(crate) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `sql` with each `$n` replaced by `values[n - 1]`, in one pass.
pub(crate) fn written_in(sql: &str, values: &[String]) -> String {
    let mut rendered = String::with_capacity(sql.len() + 200);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let digit = chars
            .peek()
            .and_then(|d| d.to_digit(10))
            .filter(|_| c == '$');
        match digit.and_then(|n| values.get(n as usize - 1)) {
            Some(value) => {
                chars.next();
                rendered.push_str(value);
            }
            None => rendered.push(c),
        }
    }
    rendered
}

pub async fn search(
    conn: &mut diesel_async::AsyncPgConnection,
    query: &SearchQuery,
) -> Result<SearchPage, DbError> {
    let terms = terms(query.text());
    let limit = i64::try_from(query.limit()).unwrap_or(i64::MAX);
    let values = vec![
        Value::Text(&terms.words),
        Value::Text(&terms.pairs),
        Value::Text(&terms.phrase),
        Value::OptUuid(query.event_id()),
        Value::BigInt(limit.saturating_add(1)),
        Value::BigInt(i64::try_from(query.offset()).unwrap_or(i64::MAX)),
    ];
    let rows: Vec<HitRow> = Prepared::new(Plan::of(&terms, query.event_id()).sql(), values)
        .load(conn)
        .await?;
    let more = rows.len() > query.limit();
    let hits = rows
        .into_iter()
        .take(query.limit())
        .map(|row| hit(row, &terms))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SearchPage { hits, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_cjk_runs_are_split_and_runs_become_pairs() {
        let t = terms("\"salt tabs\" -gels or 東京マラソン 水");
        assert_eq!(
            t.words.split_whitespace().collect::<Vec<_>>(),
            ["\"salt", "tabs\"", "-gels", "or"]
        );
        assert_eq!(t.pairs, "東京 京マ マラ ラソ ソン");
        assert_eq!(t.runs, ["東京マラソン"]);
        assert_eq!(
            t.phrase.split_whitespace().collect::<Vec<_>>(),
            ["salt", "tabs"]
        );
    }

    #[test]
    fn the_floor_statement_has_every_value_written_in_once() {
        let query = SearchQuery::new("it's $2 \"salt\"", None, Some(5), 10).unwrap();
        let statement = search_statement(&query);
        assert!(
            statement.contains("websearch_to_tsquery('aidstation_search', 'it''s $2 \"salt\"')"),
            "{statement}"
        );
        assert!(statement.contains("LIMIT 6 OFFSET 10"));
        // A phrase takes its matches from the index, its query worked out once.
        assert!(statement.contains("ORDER BY m.created_at + interval '0' DESC"));
        assert!(statement.contains("m.search @@ (SELECT query FROM q) AND true"));
        let event = Uuid::from_u128(7);
        let scoped = search_statement(&SearchQuery::new("\"salt\"", Some(event), None, 0).unwrap());
        assert!(scoped.contains(&format!("m.event_id = '{event}'")));
        assert!(scoped.contains(&format!("s.event_id = '{event}'")));
        // A plain word may walk by recency, planned for its words on each call.
        let plain = search_statement(&SearchQuery::new("salt", None, None, 0).unwrap());
        assert!(plain.contains("ORDER BY m.created_at DESC") && !plain.contains("interval '0'"));
        assert!(plain.contains("(NULL::uuid IS NULL OR m.event_id = NULL)"));
        let cjk = search_statement(&SearchQuery::new("給水", None, None, 0).unwrap());
        assert!(cjk.contains("interval '0'"));
    }

    #[test]
    fn markers_become_ranges_in_characters() {
        let (text, ranges) = unmark("Café \u{E000}pacing\u{E001} at \u{E000}mile\u{E001} 30");
        assert_eq!(text, "Café pacing at mile 30");
        assert_eq!(ranges, [(5, 11), (15, 19)]);
        // Markers the content held itself, or empty ones, mark nothing.
        assert_eq!(unmark("a\u{E001}b\u{E000}\u{E001}c").1, []);
    }

    #[test]
    fn a_cjk_run_is_found_and_marked_in_a_window_of_the_body() {
        let body = format!("{}給水所は東京マラソンの後で、東京に戻る", "x".repeat(100));
        let (window, ranges) = around_runs(&body, &["東京".to_owned()]).unwrap();
        let chars: Vec<char> = window.chars().collect();
        assert!(!ranges.is_empty());
        for (start, end) in ranges {
            assert_eq!(chars[start..end].iter().collect::<String>(), "東京");
        }
        assert!(around_runs("no such text", &["東京".to_owned()]).is_none());
    }
}
