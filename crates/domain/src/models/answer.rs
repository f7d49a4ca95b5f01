//! How an answer can end short of finished, as codes: the words a person reads are chosen
//! at the edge (the HTTP layer), from these, in one place.

/// Why a model could not answer, by what it means for the person: the kind is what the app
/// acts on and what a person is told (in one table at the edge). `detail` is the model
/// adapter's account (what the provider said, which setting an operator should fix): for the
/// log, never shown to a person nor stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageModelError {
    /// No model is configured.
    #[error("{0}")]
    NotConfigured(String),
    /// The provider limits how fast requests may come (HTTP 429, after our retries).
    #[error("{0}")]
    RateLimited(String),
    /// The provider's account has no credit or quota left.
    #[error("{0}")]
    OutOfQuota(String),
    /// The provider refused the API key (HTTP 401/403).
    #[error("{0}")]
    KeyRefused(String),
    /// The provider refused the request itself (another 4xx, a refusal before any text).
    #[error("{0}")]
    Refused(String),
    /// The conversation is longer than the model's context.
    #[error("{0}")]
    ContextTooLong(String),
    /// The model server could not be reached (connection refused, DNS, TLS, connect timeout).
    #[error("{0}")]
    Unreachable(String),
    /// The model server failed (5xx, an error event before any text).
    #[error("{0}")]
    Failed(String),
    /// The model went silent: no first piece in time, or a long pause mid-answer.
    #[error("{0}")]
    Stalled(String),
    /// The stream broke or reported an error after the answer started.
    #[error("{0}")]
    Interrupted(String),
    /// The model server sent something that is not an answer stream.
    #[error("{0}")]
    Malformed(String),
}

/// Makes a [`LanguageModelError`] of one kind from the adapter's account.
pub type ModelFailureKind = fn(String) -> LanguageModelError;

impl LanguageModelError {
    /// Every kind.
    pub const KINDS: [ModelFailureKind; 11] = [
        Self::NotConfigured,
        Self::RateLimited,
        Self::OutOfQuota,
        Self::KeyRefused,
        Self::Refused,
        Self::ContextTooLong,
        Self::Unreachable,
        Self::Failed,
        Self::Stalled,
        Self::Interrupted,
        Self::Malformed,
    ];

    /// The code an answer this interrupted is stored with.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured(_) => "model_not_configured",
            Self::RateLimited(_) => "model_rate_limited",
            Self::OutOfQuota(_) => "model_out_of_quota",
            Self::KeyRefused(_) => "model_key_refused",
            Self::Refused(_) => "model_refused",
            Self::ContextTooLong(_) => "model_context_too_long",
            Self::Unreachable(_) => "model_unreachable",
            Self::Failed(_) => "model_failed",
            Self::Stalled(_) => "model_stalled",
            Self::Interrupted(_) => "model_interrupted",
            Self::Malformed(_) => "model_malformed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Self::NotConfigured(detail)
            | Self::RateLimited(detail)
            | Self::OutOfQuota(detail)
            | Self::KeyRefused(detail)
            | Self::Refused(detail)
            | Self::ContextTooLong(detail)
            | Self::Unreachable(detail)
            | Self::Failed(detail)
            | Self::Stalled(detail)
            | Self::Interrupted(detail)
            | Self::Malformed(detail) => detail,
        }
    }
}

/// Why an answer was interrupted: stored with it (as [`Interruption::code`]) and told to the
/// person in words chosen by that code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interruption {
    /// The model failed, before or during the answer.
    ModelFailed(LanguageModelError),
    /// The model's stream ended without saying it had finished.
    CutOff,
    /// This server was shutting down and the answer outlasted the grace period.
    ServerShutdown,
    /// The instance writing the answer stopped renewing its lease (it died, or lost the
    /// database); another instance marked it.
    ProcessDied,
    /// Someone asked for it to stop.
    Stopped,
}

impl Interruption {
    const CUT_OFF: &str = "cut_off";
    const SERVER_SHUTDOWN: &str = "server_shutdown";
    const PROCESS_DIED: &str = "process_died";
    const STOPPED: &str = "stopped";
    /// Codes earlier versions stored, before model failures had kinds of their own.
    const LEGACY_UNAVAILABLE: &str = "model_unavailable";
    const LEGACY_REJECTED: &str = "model_rejected";

    /// A stable name for the reason, as stored and as sent to clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ModelFailed(error) => error.code(),
            Self::CutOff => Self::CUT_OFF,
            Self::ServerShutdown => Self::SERVER_SHUTDOWN,
            Self::ProcessDied => Self::PROCESS_DIED,
            Self::Stopped => Self::STOPPED,
        }
    }

    /// The model adapter's account of a model failure, for the log.
    pub fn model_detail(&self) -> Option<&str> {
        match self {
            Self::ModelFailed(error) => Some(error.detail()),
            Self::CutOff | Self::ServerShutdown | Self::ProcessDied | Self::Stopped => None,
        }
    }

    /// Every reason (the model's with no account of its own).
    pub fn every() -> impl Iterator<Item = Self> {
        LanguageModelError::KINDS
            .into_iter()
            .map(|kind| Self::ModelFailed(kind(String::new())))
            .chain([
                Self::CutOff,
                Self::ServerShutdown,
                Self::ProcessDied,
                Self::Stopped,
            ])
    }

    /// The reason back from its stored code (the model's own account is never stored);
    /// `None` for a code this version does not know.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            Self::LEGACY_UNAVAILABLE => {
                Some(Self::ModelFailed(LanguageModelError::Failed(String::new())))
            }
            Self::LEGACY_REJECTED => Some(Self::ModelFailed(LanguageModelError::Refused(
                String::new(),
            ))),
            _ => Self::every().find(|why| why.code() == code),
        }
    }
}

/// Why a stored, complete answer is not the whole answer the person might expect: stored
/// with it (as [`CompletionNote::code`]) and told in a short note under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionNote {
    /// The model stopped at its length limit (`finish_reason: length`).
    Length,
    /// The model's content filter stopped it (`finish_reason: content_filter`).
    ContentFilter,
    /// The chat was too long for the model: older messages were left out of this turn.
    HistoryShortened,
}

impl CompletionNote {
    pub const ALL: [Self; 3] = [Self::Length, Self::ContentFilter, Self::HistoryShortened];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::ContentFilter => "content_filter",
            Self::HistoryShortened => "history_shortened",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|note| note.code() == code)
    }

    /// The note a model's finish reason calls for.
    pub fn for_finish(finish_reason: &str) -> Option<Self> {
        match finish_reason {
            "length" => Some(Self::Length),
            "content_filter" => Some(Self::ContentFilter),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_code_without_the_models_account() {
        let all: Vec<Interruption> = LanguageModelError::KINDS
            .into_iter()
            .map(|kind| Interruption::ModelFailed(kind("what the provider said".into())))
            .chain(Interruption::every().skip(LanguageModelError::KINDS.len()))
            .collect();
        let mut codes: Vec<&str> = all.iter().map(Interruption::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "each reason has a code of its own");
        for reason in all {
            let back = Interruption::from_code(reason.code()).unwrap();
            assert_eq!(back.code(), reason.code());
            assert_eq!(
                back.model_detail().unwrap_or_default(),
                "",
                "nothing of the provider is read back"
            );
        }
        assert_eq!(
            Interruption::from_code("model_unavailable").map(|r| r.code()),
            Some("model_failed")
        );
        assert_eq!(Interruption::from_code("eaten_by_a_bear"), None);
    }

    #[test]
    fn only_the_length_limit_and_the_content_filter_call_for_a_note() {
        assert_eq!(
            CompletionNote::for_finish("length"),
            Some(CompletionNote::Length)
        );
        assert_eq!(
            CompletionNote::for_finish("content_filter"),
            Some(CompletionNote::ContentFilter)
        );
        for other in ["stop", "tool_calls", ""] {
            assert_eq!(CompletionNote::for_finish(other), None);
        }
        for note in CompletionNote::ALL {
            assert_eq!(CompletionNote::from_code(note.code()), Some(note));
        }
    }
}
