//! Search on a long history: 100 events, 1,000,000 messages in 50,000 chats (a tenth with
//! `--quick`), their words drawn from a running vocabulary with a few very common words and
//! many rare ones, plus planted terms (a rare word, an accented place, a Japanese phrase).
//! Answers carry a model, tokens and timings, for the usage rows. The search migrations are
//! undone before seeding and timed when they are applied again, on that data.

use std::time::Instant;

use serde::Serialize;

use crate::env::Database;

/// The search migrations, in the order they apply.
const UP: [&str; 2] = [
    include_str!("../../migrations/2026-11-30-000003_search/up.sql"),
    include_str!("../../migrations/2026-11-30-000004_search_cheaper/up.sql"),
];
/// Undone in the reverse order.
const DOWN: [&str; 2] = [
    include_str!("../../migrations/2026-11-30-000004_search_cheaper/down.sql"),
    include_str!("../../migrations/2026-11-30-000003_search/down.sql"),
];

/// What search adds to a chat turn's writes, taken away (the message's event stays: the
/// turn's statements write it): the vectors, their indexes and the recency indexes.
pub const DROP_SEARCH: &str = "
    ALTER TABLE chat_messages DROP COLUMN search;
    ALTER TABLE chat_sessions DROP COLUMN search;
    DROP INDEX chat_messages_recent_idx;
    DROP INDEX chat_messages_event_recent_idx;";

/// Ordered from the most to the least used: each word of a message is drawn with a
/// probability that falls steeply along the list.
const VOCABULARY: &str = "run pace hour mile water climb food aid station salt tablets walk \
downhill uphill heat gel crew night shoes socks legs stomach sodium carbs electrolytes drop bag \
headlamp poles jacket cold rain mud rocks trail descent ascent finish start cutoff checkpoint \
sleep caffeine blister quads calves hamstrings pack bottle flask broth soup potatoes watermelon \
coke ginger nausea cramp chafe lube sunscreen hat buff gloves layers wind summit ridge canyon \
river crossing dust altitude breath heart rate zone tempo easy steady hard effort split negative \
positive fade bonk wall recovery taper training block volume vert km miles minutes seconds \
pacer crewing handoff ice bandana sponge shade sweat thirst urine kidney stomachache burp \
chews waffle banana pretzels noodles rice quesadilla pickle juice espresso tea cocoa oatmeal \
gaiters grip lugs drop stack cushion rocker toe nails tape moleskin powder vaseline zinc";

/// The terms searched for, and how the messages that hold them are planted.
pub const RARE: &str = "zucchini";
pub const ACCENTED: &str = "Bürgenstock";
pub const CJK: &str = "東京マラソンの給水所で水を飲む";

#[derive(Serialize)]
pub struct SearchData {
    pub messages: usize,
    pub chats: usize,
    pub events: usize,
    pub seed_secs: f64,
    pub migration_secs: f64,
    pub table_mib: f64,
    pub messages_index_mib: f64,
    pub titles_index_mib: f64,
    /// One event's id, for the scoped rows.
    pub event: String,
}

/// Seeds the history (without the search migrations, applied again afterwards and timed).
pub fn seed(db: &Database, messages: usize) -> anyhow::Result<SearchData> {
    let chats = messages / 20;
    let events = 100;
    let words: Vec<String> = VOCABULARY
        .split_whitespace()
        .map(|w| format!("'{w}'"))
        .collect();
    let count = words.len();
    let began = Instant::now();
    for down in DOWN {
        db.psql(down)?;
    }
    db.psql(&format!(
        "INSERT INTO events (id, name) SELECT md5('search event ' || e)::uuid, 'Search event ' || e \
         FROM generate_series(1, {events}) AS e;
         INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at)
         SELECT md5('search chat ' || c)::uuid, md5('search event ' || (c % {events} + 1))::uuid,
                'Chat ' || c || ' about the ' || (ARRAY[{list}])[1 + (c * 7919) % {count}],
                now() - c * interval '1 minute', now() - c * interval '1 minute'
         FROM generate_series(1, {chats}) AS c;
         INSERT INTO chat_messages (id, session_id, role, content, status, created_at, model,
                prompt_tokens, completion_tokens, first_token_ms, duration_ms)
         SELECT md5('search message ' || i)::uuid, md5('search chat ' || (i % {chats} + 1))::uuid,
                CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END,
                (SELECT string_agg((ARRAY[{list}])[1 + floor(power(random(), 1.3) * {count})::int], ' ')
                 FROM generate_series(1, 8 + i % 24))
                || CASE WHEN i % 10007 = 0 THEN ' {RARE}' ELSE '' END
                || CASE WHEN i % 997 = 0 THEN ' near {ACCENTED}' ELSE '' END
                || CASE WHEN i % 211 = 0 THEN ' {CJK}' ELSE '' END,
                'complete', now() - i * interval '1 second',
                CASE WHEN i % 2 = 1 THEN (ARRAY['gpt-4o-mini', 'gpt-4.1'])[1 + i % 4 / 2] END,
                CASE WHEN i % 2 = 1 THEN 400 + i % 3001 END, CASE WHEN i % 2 = 1 THEN 50 + i % 701 END,
                CASE WHEN i % 2 = 1 THEN 150 + i % 907 END, CASE WHEN i % 2 = 1 THEN 1500 + i % 20011 END
         FROM generate_series(1, {messages}) AS i;",
        list = words.join(",")
    ))?;
    let seed_secs = began.elapsed().as_secs_f64();
    let began = Instant::now();
    for up in UP {
        db.psql(up)?;
    }
    let migration_secs = began.elapsed().as_secs_f64();
    db.psql("VACUUM ANALYZE chat_messages")?;
    db.psql("VACUUM ANALYZE chat_sessions")?;
    let mib = |relation: &str| -> anyhow::Result<f64> {
        let bytes: f64 = db
            .psql(&format!("SELECT pg_total_relation_size('{relation}')"))?
            .parse()?;
        Ok(bytes / 1_048_576.0)
    };
    Ok(SearchData {
        messages,
        chats,
        events,
        seed_secs,
        migration_secs,
        table_mib: mib("chat_messages")?,
        messages_index_mib: mib("chat_messages_search_idx")?,
        titles_index_mib: mib("chat_sessions_search_idx")?,
        event: db.psql("SELECT md5('search event 1')::uuid")?,
    })
}
