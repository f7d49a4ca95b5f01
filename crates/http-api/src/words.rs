//! The words a person reads about an answer that did not finish, in one place: the stream's
//! `error` event and a stored answer's `status_reason` both come from here, chosen by the
//! reason's code (so stored answers read in today's words, whenever they were written).

use domain::{Interruption, LanguageModelError};

/// Why an answer was interrupted, for a person. The model adapter's own account (the
/// server's URL, what the provider said, the setting an operator should fix) goes to the
/// log with the answer's id, never here: a person reads what happened and what they can do.
pub fn interruption(why: &Interruption) -> String {
    match why {
        Interruption::ModelFailed(error) => model_failed(error).into(),
        Interruption::CutOff => "The model's answer was cut off before it finished.".into(),
        Interruption::ServerShutdown => {
            "The server was restarting; the answer was cut short.".into()
        }
        Interruption::ProcessDied => {
            "The server stopped while this answer was being written; it was cut short.".into()
        }
        Interruption::Stopped => "Stopped: the answer was cut short on request.".into(),
    }
}

fn model_failed(error: &LanguageModelError) -> &'static str {
    match error {
        LanguageModelError::NotConfigured(_) => {
            "The assistant is not set up yet: whoever runs aidstation needs to connect it to a model."
        }
        LanguageModelError::Unavailable(_) => {
            "The assistant's model is not answering just now. Retry in a moment."
        }
        LanguageModelError::Rejected(_) => {
            "The assistant's model turned this request down. Retry later, or ask it differently."
        }
        LanguageModelError::Interrupted(_) => {
            "The model stopped partway through this answer; what it wrote is kept. Retry to ask again."
        }
    }
}

/// The answer streamed but its last write failed.
pub const NOT_SAVED: &str = "The answer could not be saved.";
/// [`NOT_SAVED`] as the code an `error` event carries.
pub const NOT_SAVED_CODE: &str = "not_saved";
