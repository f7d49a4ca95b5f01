//! The words a person reads about an answer that did not finish, in one place: the stream's
//! `error` event and a stored answer's `status_reason` both come from here, chosen by the
//! reason's code (so stored answers read in today's words, whenever they were written).

use domain::Interruption;

/// Why an answer was interrupted, for a person.
pub fn interruption(why: &Interruption) -> String {
    match why {
        // The model adapter words its own failures: it alone knows the setting to name or
        // what the server said.
        Interruption::ModelFailed(error) => error.detail().to_owned(),
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

/// The answer streamed but its last write failed.
pub const NOT_SAVED: &str = "The answer could not be saved.";
/// [`NOT_SAVED`] as the code an `error` event carries.
pub const NOT_SAVED_CODE: &str = "not_saved";
