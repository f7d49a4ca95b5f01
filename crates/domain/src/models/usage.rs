//! Usage at a glance: how much the assistant was asked and answered, in what time, with how
//! many tokens, over a range of days, for one event or all.

use chrono::{Datelike, Days, NaiveDate};
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
