//! How an answer can end short of finished, as codes: the words a person reads are chosen
//! at the edge (the HTTP layer), from these, in one place.

/// Why a model could not answer. The kind is what the app acts on; `detail` is the model
/// adapter's account of it, already safe to show (no credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageModelError {
    /// No model is configured; the detail says which settings to give.
    #[error("{0}")]
    NotConfigured(String),
    /// The model server could not be reached, timed out, or failed (connection errors, 5xx).
    #[error("{0}")]
    Unavailable(String),
    /// The model server refused the request (bad key, quota, rate limit, bad request).
    #[error("{0}")]
    Rejected(String),
    /// The stream broke or reported an error after it started; the text so far stands.
    #[error("{0}")]
    Interrupted(String),
}

impl LanguageModelError {
    pub fn detail(&self) -> &str {
        match self {
            Self::NotConfigured(detail)
            | Self::Unavailable(detail)
            | Self::Rejected(detail)
            | Self::Interrupted(detail) => detail,
        }
    }
}

/// Why an answer was interrupted: stored with it (as [`Interruption::code`] and
/// [`Interruption::detail`]) and told to the person.
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
    const MODEL_NOT_CONFIGURED: &str = "model_not_configured";
    const MODEL_UNAVAILABLE: &str = "model_unavailable";
    const MODEL_REJECTED: &str = "model_rejected";
    const MODEL_INTERRUPTED: &str = "model_interrupted";
    const CUT_OFF: &str = "cut_off";
    const SERVER_SHUTDOWN: &str = "server_shutdown";
    const PROCESS_DIED: &str = "process_died";
    const STOPPED: &str = "stopped";

    /// A stable name for the reason, as stored and as sent to clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ModelFailed(LanguageModelError::NotConfigured(_)) => Self::MODEL_NOT_CONFIGURED,
            Self::ModelFailed(LanguageModelError::Unavailable(_)) => Self::MODEL_UNAVAILABLE,
            Self::ModelFailed(LanguageModelError::Rejected(_)) => Self::MODEL_REJECTED,
            Self::ModelFailed(LanguageModelError::Interrupted(_)) => Self::MODEL_INTERRUPTED,
            Self::CutOff => Self::CUT_OFF,
            Self::ServerShutdown => Self::SERVER_SHUTDOWN,
            Self::ProcessDied => Self::PROCESS_DIED,
            Self::Stopped => Self::STOPPED,
        }
    }

    /// What the model adapter said, for the reasons that come from the model.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::ModelFailed(error) => Some(error.detail()),
            Self::CutOff | Self::ServerShutdown | Self::ProcessDied | Self::Stopped => None,
        }
    }

    /// The reason back from its stored code and detail; `None` for a code this version does
    /// not know.
    pub fn from_code(code: &str, detail: Option<String>) -> Option<Self> {
        let detail = detail.unwrap_or_default();
        Some(match code {
            Self::MODEL_NOT_CONFIGURED => {
                Self::ModelFailed(LanguageModelError::NotConfigured(detail))
            }
            Self::MODEL_UNAVAILABLE => Self::ModelFailed(LanguageModelError::Unavailable(detail)),
            Self::MODEL_REJECTED => Self::ModelFailed(LanguageModelError::Rejected(detail)),
            Self::MODEL_INTERRUPTED => Self::ModelFailed(LanguageModelError::Interrupted(detail)),
            Self::CUT_OFF => Self::CutOff,
            Self::SERVER_SHUTDOWN => Self::ServerShutdown,
            Self::PROCESS_DIED => Self::ProcessDied,
            Self::STOPPED => Self::Stopped,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_code_and_detail() {
        let all = [
            Interruption::ModelFailed(LanguageModelError::NotConfigured("a".into())),
            Interruption::ModelFailed(LanguageModelError::Unavailable("b".into())),
            Interruption::ModelFailed(LanguageModelError::Rejected("c".into())),
            Interruption::ModelFailed(LanguageModelError::Interrupted("d".into())),
            Interruption::CutOff,
            Interruption::ServerShutdown,
            Interruption::ProcessDied,
            Interruption::Stopped,
        ];
        for reason in all {
            let back = Interruption::from_code(reason.code(), reason.detail().map(str::to_owned));
            assert_eq!(back, Some(reason));
        }
        assert_eq!(Interruption::from_code("eaten_by_a_bear", None), None);
    }
}
