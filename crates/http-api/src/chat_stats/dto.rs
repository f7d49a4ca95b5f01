use chrono::NaiveDate;
use domain::{Bucket, FieldError, ModelTokens, Usage, UsagePoint, UsageQuery};
use serde::{Deserialize, Serialize};
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema::{self, query_param};

/// `?event_id=&from=&to=&bucket=`: kept as text so that each bad value is answered in our
/// words.
#[derive(Deserialize)]
pub struct StatsParams {
    event_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    bucket: Option<String>,
}

/// Written by hand, like search's: the derive drops `required` and the descriptions of
/// parameters whose schema comes from a function.
impl IntoParams for StatsParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            schema::event_scope_param(),
            query_param(
                "from",
                Required::False,
                "The first day counted (UTC, `YYYY-MM-DD`); from the first chat when absent or empty.",
                schema::date_or_empty(),
            ),
            query_param(
                "to",
                Required::False,
                "The last day counted (UTC, `YYYY-MM-DD`); to the last chat when absent or empty. \
                 Before `from`, the range holds nothing; the series has at most 3,660 points, \
                 the newest.",
                schema::date_or_empty(),
            ),
            schema::choice_param(
                "bucket",
                "The span of each point of the series: `day` (default, also when empty, as a \
                 form sends it) or `week` (from Monday).",
                &[Bucket::Day.as_str(), Bucket::Week.as_str(), ""],
            ),
        ]
    }
}

impl StatsParams {
    pub fn query(&self) -> Result<UsageQuery, ApiError> {
        let event_id = parse_optional_id("event_id", self.event_id.as_deref())?;
        let mut problems = Vec::new();
        let mut day = |field: &str, text: Option<&str>| match text {
            None | Some("") => None,
            Some(text) => {
                let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
                if parsed.is_none() {
                    problems.push(FieldError::new(field, "must be a date written YYYY-MM-DD"));
                }
                parsed
            }
        };
        let from = day("from", self.from.as_deref());
        let to = day("to", self.to.as_deref());
        let bucket = match self.bucket.as_deref() {
            None | Some("") => Some(Bucket::Day),
            Some(text) => Bucket::parse(text),
        };
        if bucket.is_none() {
            problems.push(FieldError::new("bucket", "must be day or week"));
        }
        match (bucket, problems.is_empty()) {
            (Some(bucket), true) => Ok(UsageQuery::new(event_id, from, to, bucket)),
            _ => Err(ApiError::Invalid(problems)),
        }
    }
}

/// Usage of the assistant over a range: totals and a series.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatStats)]
pub struct StatsDto {
    /// `day` or `week`.
    bucket: &'static str,
    totals: TotalsDto,
    /// A point per bucket, oldest first, empty buckets included: from `from` (or the first
    /// bucket with activity) to `to` (or the last one).
    series: Vec<PointDto>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatStatsTotals)]
pub struct TotalsDto {
    /// Chats started in the range.
    chats: u64,
    /// Questions asked in the range.
    questions: u64,
    /// Answers of the range by how they ended.
    answers: AnswersDto,
    /// Prompt and completion tokens per model (`null`: answers no model named, such as
    /// those that failed before it answered), most tokens first.
    tokens: Vec<ModelTokensDto>,
    /// Median time from asking the model to the first text of an answer, in milliseconds;
    /// `null` when no answer in the range has it.
    median_first_token_ms: Option<f64>,
    /// Median time from asking the model to the end of an answer, in milliseconds.
    median_duration_ms: Option<f64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatStatsAnswers)]
pub struct AnswersDto {
    complete: u64,
    interrupted: u64,
    generating: u64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatStatsModel)]
pub struct ModelTokensDto {
    model: Option<String>,
    answers: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatStatsPoint)]
pub struct PointDto {
    /// The bucket's first day (UTC).
    #[schema(value_type = String, format = Date)]
    start: NaiveDate,
    questions: u64,
    answers: u64,
    interrupted: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
}

impl StatsDto {
    pub fn new(query: &UsageQuery, usage: Usage) -> Self {
        let totals = usage.totals;
        Self {
            bucket: query.bucket().as_str(),
            totals: TotalsDto {
                chats: totals.chats,
                questions: totals.questions,
                answers: AnswersDto {
                    complete: totals.answers.complete,
                    interrupted: totals.answers.interrupted,
                    generating: totals.answers.generating,
                },
                tokens: totals
                    .tokens
                    .into_iter()
                    .map(ModelTokensDto::from)
                    .collect(),
                median_first_token_ms: totals.medians.first_token_ms,
                median_duration_ms: totals.medians.duration_ms,
            },
            series: usage.series.into_iter().map(PointDto::from).collect(),
        }
    }
}

impl From<ModelTokens> for ModelTokensDto {
    fn from(m: ModelTokens) -> Self {
        Self {
            model: m.model,
            answers: m.answers,
            prompt_tokens: m.prompt_tokens,
            completion_tokens: m.completion_tokens,
        }
    }
}

impl From<UsagePoint> for PointDto {
    fn from(p: UsagePoint) -> Self {
        Self {
            start: p.start,
            questions: p.questions,
            answers: p.answers,
            interrupted: p.interrupted,
            prompt_tokens: p.prompt_tokens,
            completion_tokens: p.completion_tokens,
        }
    }
}
