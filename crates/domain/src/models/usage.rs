//! Usage at a glance: how much the assistant was asked and answered, in what time, with how
//! many tokens, over a range of days, for one event or all.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use uuid::Uuid;

/// The span of one point of a series; weeks start on Monday (ISO), days at midnight UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    Week,
}

impl Bucket {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            _ => None,
        }
    }

    /// The first day of the bucket `day` falls in.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        }
    }

    fn days(self) -> u64 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
        }
    }
}

/// A checked usage question: one event's chats or all, from a day to a day (both counted,
/// UTC; open when absent), a point per `bucket`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageQuery {
    event_id: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    bucket: Bucket,
}

impl UsageQuery {
    /// The most points a series has: ten years of days. A longer range keeps its newest.
    pub const MAX_BUCKETS: usize = 3_660;

    /// A range that ends before it starts holds nothing.
    pub fn new(
        event_id: Option<Uuid>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        bucket: Bucket,
    ) -> Self {
        Self {
            event_id,
            from,
            to,
            bucket,
        }
    }

    pub fn event_id(&self) -> Option<Uuid> {
        self.event_id
    }

    pub fn from(&self) -> Option<NaiveDate> {
        self.from
    }

    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }

    pub fn bucket(&self) -> Bucket {
        self.bucket
    }
}

/// Answers by how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    pub complete: u64,
    pub interrupted: u64,
    pub generating: u64,
}

impl AnswerCounts {
    pub const fn total(&self) -> u64 {
        self.complete + self.interrupted + self.generating
    }

    fn add(&mut self, other: Self) {
        self.complete += other.complete;
        self.interrupted += other.interrupted;
        self.generating += other.generating;
    }
}

/// The tokens one model (or none named) was sent and wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTokens {
    pub model: Option<String>,
    pub answers: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// Medians of the answers whose timings were kept, in milliseconds: to the first text, and
/// to the end. `None` when no answer has them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Medians {
    pub first_token_ms: Option<f64>,
    pub duration_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageTotals {
    /// Chats started in the range.
    pub chats: u64,
    pub questions: u64,
    pub answers: AnswerCounts,
    /// Most tokens first.
    pub tokens: Vec<ModelTokens>,
    pub medians: Medians,
}

/// One point of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsagePoint {
    pub start: NaiveDate,
    pub questions: u64,
    pub answers: u64,
    pub interrupted: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl UsagePoint {
    fn empty(start: NaiveDate) -> Self {
        Self {
            start,
            questions: 0,
            answers: 0,
            interrupted: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub totals: UsageTotals,
    /// A point per bucket, oldest first, from the range's first bucket (or the first with
    /// activity) to its last (or the last with activity), empty ones included.
    pub series: Vec<UsagePoint>,
}

/// What one hour (UTC) holds of one model's answers (or of none named: the questions, the
/// chats started): the unit the store hands over, whether it read the messages or a summary
/// of a settled hour, and that [`Usage::of_hours`] adds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageHour {
    pub start: DateTime<Utc>,
    pub model: Option<String>,
    pub counts: HourCounts,
    /// Every timed answer's, in no order: the medians are exact, not estimated.
    pub first_token_ms: Vec<u32>,
    pub duration_ms: Vec<u32>,
}

/// The counts of a [`UsageHour`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCounts {
    pub chats: u64,
    pub questions: u64,
    pub answers: AnswerCounts,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// The totals, tokens per model (most first), medians and the points with activity (in
    /// bucket order, not filled: see [`fill`]) of `hours`, in any order.
    pub fn of_hours(bucket: Bucket, hours: Vec<UsageHour>) -> Self {
        let mut totals = UsageTotals::default();
        let mut models: BTreeMap<Option<String>, ModelTokens> = BTreeMap::new();
        let mut points: BTreeMap<NaiveDate, UsagePoint> = BTreeMap::new();
        // Every timing of the range, left where each hour holds it: a million of them
        // across all events, counted rather than gathered.
        let (mut first, mut duration) = (Vec::new(), Vec::new());
        for UsageHour {
            start,
            model,
            counts: hour,
            first_token_ms,
            duration_ms,
        } in hours
        {
            let answered = hour.answers.total();
            totals.chats += hour.chats;
            totals.questions += hour.questions;
            totals.answers.add(hour.answers);
            if hour.questions + answered > 0 {
                let start = bucket.start_of(start.date_naive());
                let point = points
                    .entry(start)
                    .or_insert_with(|| UsagePoint::empty(start));
                point.questions += hour.questions;
                point.answers += answered;
                point.interrupted += hour.answers.interrupted;
                point.prompt_tokens += hour.prompt_tokens;
                point.completion_tokens += hour.completion_tokens;
            }
            if answered > 0 {
                let tokens = models.entry(model.clone()).or_insert_with(|| ModelTokens {
                    model,
                    answers: 0,
                    prompt_tokens: 0,
                    completion_tokens: 0,
                });
                tokens.answers += answered;
                tokens.prompt_tokens += hour.prompt_tokens;
                tokens.completion_tokens += hour.completion_tokens;
            }
            first.push(first_token_ms);
            duration.push(duration_ms);
        }
        totals.tokens = models.into_values().collect();
        totals.tokens.sort_by(|a, b| {
            (b.prompt_tokens + b.completion_tokens)
                .cmp(&(a.prompt_tokens + a.completion_tokens))
                .then_with(|| a.model.cmp(&b.model))
        });
        totals.medians = Medians {
            first_token_ms: median(&first),
            duration_ms: median(&duration),
        };
        Self {
            totals,
            series: points.into_values().collect(),
        }
    }
}

/// The median of all `parts`' values as PostgreSQL's `percentile_cont(0.5)` gives it (the
/// mean of the middle two of an even count).
fn median(parts: &[Vec<u32>]) -> Option<f64> {
    let count: usize = parts.iter().map(Vec::len).sum();
    // None when there are none.
    let upper = f64::from(nth_smallest(parts, count / 2)?);
    if count % 2 == 1 {
        return Some(upper);
    }
    let lower = f64::from(nth_smallest(parts, count / 2 - 1)?);
    Some(f64::midpoint(lower, upper))
}

/// The `rank`-th smallest (from 0) of all `parts`' values, found by counting, first their
/// high 16 bits, then the low 16 bits of those with the high half found: two passes that
/// move no value, where selecting in place would first copy them all into one slice.
fn nth_smallest(parts: &[Vec<u32>], mut rank: usize) -> Option<u32> {
    const HALF: u32 = 16;
    let values = || parts.iter().flatten().copied();
    let mut counts = vec![0_usize; 1 << HALF];
    for value in values() {
        counts[(value >> HALF) as usize] += 1;
    }
    let high = position_of(&counts, &mut rank)?;
    counts.fill(0);
    for value in values().filter(|v| v >> HALF == high) {
        counts[(value & 0xFFFF) as usize] += 1;
    }
    Some(high << HALF | position_of(&counts, &mut rank)?)
}

/// The index whose count holds `rank` (from 0), which becomes the rank within it.
fn position_of(counts: &[usize], rank: &mut usize) -> Option<u32> {
    for (index, &count) in counts.iter().enumerate() {
        if *rank < count {
            return u32::try_from(index).ok();
        }
        *rank -= count;
    }
    None
}

/// `points` (buckets with activity, any order) with the empty buckets between the range's
/// ends filled in, oldest first; at most [`UsageQuery::MAX_BUCKETS`], the newest.
pub fn fill(query: &UsageQuery, mut points: Vec<UsagePoint>) -> Vec<UsagePoint> {
    points.sort_by_key(|p| p.start);
    let bucket = query.bucket();
    let first = query.from().or_else(|| points.first().map(|p| p.start));
    let last = query.to().or_else(|| points.last().map(|p| p.start));
    let (Some(first), Some(last)) = (first, last) else {
        return points;
    };
    let (first, last) = (bucket.start_of(first), bucket.start_of(last));
    let span = (UsageQuery::MAX_BUCKETS as u64 - 1) * bucket.days();
    let first = last
        .checked_sub_days(Days::new(span))
        .map_or(first, |earliest| first.max(earliest));
    let mut found = points.into_iter().filter(|p| p.start >= first).peekable();
    let mut filled = Vec::new();
    let mut start = first;
    while start <= last {
        filled.push(
            found
                .next_if(|p| p.start == start)
                .unwrap_or(UsagePoint::empty(start)),
        );
        match start.checked_add_days(Days::new(bucket.days())) {
            Some(next) => start = next,
            None => break,
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn point(d: u32, questions: u64) -> UsagePoint {
        UsagePoint {
            questions,
            ..UsagePoint::empty(day(d))
        }
    }

    #[test]
    fn a_backward_range_is_empty_and_a_long_one_keeps_its_newest_buckets() {
        let backward = UsageQuery::new(None, Some(day(3)), Some(day(2)), Bucket::Day);
        assert!(fill(&backward, vec![point(3, 1)]).is_empty());
        let far = NaiveDate::from_ymd_opt(2040, 1, 1).unwrap_or_default();
        let long = UsageQuery::new(None, Some(day(1)), Some(far), Bucket::Day);
        let series = fill(&long, vec![point(2, 1)]);
        assert_eq!(series.len(), UsageQuery::MAX_BUCKETS);
        assert_eq!(series.last().map(|p| p.start), Some(far));
        assert!(
            series.iter().all(|p| p.questions == 0),
            "2026 is out of the newest ten years"
        );
    }

    fn hour(d: u32, h: u32, model: Option<&str>) -> UsageHour {
        UsageHour {
            start: day(d).and_hms_opt(h, 0, 0).unwrap_or_default().and_utc(),
            model: model.map(str::to_owned),
            counts: HourCounts::default(),
            first_token_ms: Vec::new(),
            duration_ms: Vec::new(),
        }
    }

    #[test]
    fn medians_are_those_postgresql_gives() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[vec![], vec![]]), None);
        assert_eq!(median(&[vec![7]]), Some(7.0));
        assert_eq!(median(&[vec![9, 1], vec![], vec![4]]), Some(4.0));
        assert_eq!(median(&[vec![400, 100], vec![200, 300]]), Some(250.0));
        assert_eq!(median(&[vec![5, 5, 1, 5]]), Some(5.0));
        // Values apart in their high 16 bits, and the largest there are.
        assert_eq!(median(&[vec![70_000, 3, u32::MAX]]), Some(70_000.0));
        assert_eq!(
            median(&[vec![65_535], vec![65_536]]),
            Some(65_535.5),
            "the middle two straddle the halves"
        );
        let many: Vec<u32> = (0..10_001).rev().map(|v| v * 37).collect();
        assert_eq!(median(&[many]), Some(5_000.0 * 37.0));
    }

    #[test]
    fn hours_add_up_to_totals_points_and_models() {
        let asked = UsageHour {
            counts: HourCounts {
                chats: 1,
                questions: 2,
                ..HourCounts::default()
            },
            ..hour(2, 23, None)
        };
        let answered = UsageHour {
            counts: HourCounts {
                answers: AnswerCounts {
                    complete: 1,
                    interrupted: 1,
                    generating: 0,
                },
                prompt_tokens: 10,
                completion_tokens: 5,
                ..HourCounts::default()
            },
            first_token_ms: vec![300, 100],
            duration_ms: vec![900, 1_100],
            ..hour(2, 23, Some("gpt-a"))
        };
        let next_day = UsageHour {
            counts: HourCounts {
                answers: AnswerCounts {
                    complete: 1,
                    ..AnswerCounts::default()
                },
                prompt_tokens: 100,
                ..HourCounts::default()
            },
            first_token_ms: vec![200],
            duration_ms: vec![1_000],
            ..hour(3, 0, Some("gpt-b"))
        };
        let only_a_chat = UsageHour {
            counts: HourCounts {
                chats: 1,
                ..HourCounts::default()
            },
            ..hour(9, 1, None)
        };
        let hours = vec![next_day, only_a_chat, answered, asked];
        let usage = Usage::of_hours(Bucket::Day, hours.clone());
        assert_eq!(usage.totals.chats, 2);
        assert_eq!(usage.totals.questions, 2);
        assert_eq!(usage.totals.answers.total(), 3);
        let models: Vec<(Option<&str>, u64, u64)> = usage
            .totals
            .tokens
            .iter()
            .map(|t| (t.model.as_deref(), t.answers, t.prompt_tokens))
            .collect();
        assert_eq!(models, [(Some("gpt-b"), 1, 100), (Some("gpt-a"), 2, 10)]);
        assert_eq!(usage.totals.medians.first_token_ms, Some(200.0));
        assert_eq!(usage.totals.medians.duration_ms, Some(1_000.0));
        let days: Vec<(NaiveDate, u64, u64, u64)> = usage
            .series
            .iter()
            .map(|p| (p.start, p.questions, p.answers, p.prompt_tokens))
            .collect();
        assert_eq!(
            days,
            [(day(2), 2, 2, 10), (day(3), 0, 1, 100)],
            "a chat started with no message is no activity"
        );
        let weeks = Usage::of_hours(Bucket::Week, hours);
        assert_eq!(weeks.series.len(), 1);
        assert_eq!(weeks.series[0].start, day(2));
        assert_eq!(weeks.series[0].answers, 3);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 30 November 2026 is a Monday.
        assert_eq!(Bucket::Week.start_of(day(30)), day(30));
        assert_eq!(Bucket::Week.start_of(day(29)), day(23));
        assert_eq!(Bucket::Day.start_of(day(29)), day(29));
    }

    #[test]
    fn empty_buckets_are_filled_between_the_ends() {
        let open = UsageQuery::new(None, None, None, Bucket::Day);
        let series = fill(&open, vec![point(5, 2), point(3, 1)]);
        let days: Vec<(NaiveDate, u64)> = series.iter().map(|p| (p.start, p.questions)).collect();
        assert_eq!(days, [(day(3), 1), (day(4), 0), (day(5), 2)]);
        assert!(fill(&open, Vec::new()).is_empty());

        let range = UsageQuery::new(None, Some(day(2)), Some(day(6)), Bucket::Day);
        assert_eq!(fill(&range, vec![point(4, 1)]).len(), 5);

        let weeks = UsageQuery::new(None, Some(day(25)), Some(day(30)), Bucket::Week);
        let series = fill(&weeks, vec![point(30, 7)]);
        let starts: Vec<NaiveDate> = series.iter().map(|p| p.start).collect();
        assert_eq!(starts, [day(23), day(30)]);
    }
}
