//! Every sentence a person reads about an answer that did not finish, or finished short, in
//! one table: the stream's `error` and `done` events and a stored answer's `status_reason`
//! all come from here, chosen by the reason's code (so stored answers read in today's
//! words, whenever they were written). What the provider said, its links and account ids,
//! and hints for whoever runs aidstation go to the log with the answer's id, never here.

use domain::{CompletionNote, Interruption};

/// One failure kind: its code, what happened, and what the person can do about it.
struct Words {
    code: &'static str,
    happened: &'static str,
    to_do: &'static str,
}

/// Said after `happened` when some of the answer arrived before it stopped.
const INCOMPLETE: &str = "The answer is incomplete: what arrived is kept.";

/// The table. Each row reads as one voice: what happened, then what to do.
const TABLE: [Words; 16] = [
    Words {
        code: "model_not_configured",
        happened: "The assistant is not connected to a language model yet.",
        to_do: "Whoever runs aidstation can connect one.",
    },
    Words {
        code: "model_rate_limited",
        happened: "The language model is getting more requests than it takes just now.",
        to_do: "Wait a minute, then retry.",
    },
    Words {
        code: "model_out_of_quota",
        happened: "The language model's account has run out of credit.",
        to_do: "Whoever runs aidstation needs to top it up; then retry.",
    },
    Words {
        code: "model_key_refused",
        happened: "The language model did not accept aidstation's access key.",
        to_do: "Whoever runs aidstation needs to check it; then retry.",
    },
    Words {
        code: "model_refused",
        happened: "The language model declined this request.",
        to_do: "Try asking in other words.",
    },
    Words {
        code: "model_context_too_long",
        happened: "This chat is too long for the language model, even with its older messages left out.",
        to_do: "Start a new chat to go on.",
    },
    Words {
        code: "model_unreachable",
        happened: "aidstation could not reach the language model.",
        to_do: "Retry in a moment.",
    },
    Words {
        code: "model_failed",
        happened: "The language model ran into a problem on its side.",
        to_do: "Retry in a moment.",
    },
    Words {
        code: "model_stalled",
        happened: "The language model stopped responding.",
        to_do: "Retry in a moment.",
    },
    Words {
        code: "model_interrupted",
        happened: "The language model stopped partway through this answer.",
        to_do: "Retry to ask again.",
    },
    Words {
        code: "model_malformed",
        happened: "The language model sent something aidstation could not read.",
        to_do: "Retry to ask again.",
    },
    Words {
        code: "cut_off",
        happened: "The language model's answer ended before it was finished.",
        to_do: "Retry to ask again.",
    },
    Words {
        code: "not_saved",
        happened: "aidstation could not save this answer, so it will be gone after a reload.",
        to_do: "Copy what you need, then retry.",
    },
    Words {
        code: "stopped",
        happened: "Stopped on request.",
        to_do: "Retry to ask again.",
    },
    Words {
        code: "server_shutdown",
        happened: "aidstation restarted while writing this answer.",
        to_do: "Retry to ask again.",
    },
    Words {
        code: "process_died",
        happened: "aidstation stopped while writing this answer.",
        to_do: "Retry to ask again.",
    },
];

/// [`NOT_SAVED`]'s code: the answer could not be stored, so it has no stored reason.
pub const NOT_SAVED_CODE: &str = "not_saved";

/// The sentence for the reason `code`, saying whether the answer is incomplete (`has_text`:
/// some of it arrived) and what the person can do.
fn sentence(code: &str, has_text: bool) -> String {
    let Some(words) = TABLE.iter().find(|words| words.code == code) else {
        return if has_text {
            format!("The answer stopped early. {INCOMPLETE}")
        } else {
            "The answer stopped early.".into()
        };
    };
    if has_text {
        format!("{} {INCOMPLETE} {}", words.happened, words.to_do)
    } else {
        format!("{} {}", words.happened, words.to_do)
    }
}

/// Why an answer was interrupted, for a person.
pub fn interruption(why: &Interruption, has_text: bool) -> String {
    sentence(why.code(), has_text)
}

/// The answer streamed but its last write failed: whatever arrived is only on the screen.
pub fn not_saved() -> String {
    sentence(NOT_SAVED_CODE, false)
}

/// Why a complete answer may still not be all the person expects.
pub const fn note(note: CompletionNote) -> &'static str {
    match note {
        CompletionNote::Length => {
            "Cut at the model's length limit: the answer is incomplete. Ask it to go on, or to be briefer."
        }
        CompletionNote::ContentFilter => {
            "Stopped by the model's content filter: the answer is incomplete."
        }
        CompletionNote::HistoryShortened => {
            "This chat is long, so its older messages were left out of this answer."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_row_and_says_whether_the_answer_is_incomplete() {
        for why in Interruption::every() {
            assert!(
                TABLE.iter().any(|words| words.code == why.code()),
                "{} has no words",
                why.code()
            );
            let partial = interruption(&why, true);
            let empty = interruption(&why, false);
            assert!(partial.contains("incomplete"), "{partial}");
            assert!(!empty.contains("incomplete"), "{empty}");
        }
        assert!(TABLE.iter().any(|words| words.code == NOT_SAVED_CODE));
        assert_eq!(
            TABLE.len(),
            Interruption::every().count() + 1,
            "no row without a reason"
        );
    }

    #[test]
    fn each_sentence_is_short_plain_and_names_no_setting_or_provider() {
        for words in &TABLE {
            for text in [words.happened, words.to_do] {
                assert!(text.ends_with('.'), "{text}");
                assert!(text.len() < 110, "{text}");
                for internal in ["OPENAI", "HTTP", "http", "API", "org-", "_"] {
                    assert!(!text.contains(internal), "{text}");
                }
            }
        }
    }
}
