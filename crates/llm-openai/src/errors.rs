//! What an HTTP error from the model server means for the person, and whether the OpenAI
//! SDKs' rules say to try again.

use std::time::Duration;

use domain::ports::LanguageModelError;

use crate::parser::Fault;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Longest upstream message passed on; longer ones are cut.
const MAX_MESSAGE_CHARS: usize = 300;
/// A server asking for a longer pause than this gets our own backoff instead, as in the SDKs.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A failed attempt: the error to report if it is the last, and whether to retry.
#[derive(Debug)]
pub struct Failure {
    pub error: LanguageModelError,
    pub retry: bool,
    /// The server's requested pause before the next attempt.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn retryable(error: LanguageModelError) -> Self {
        Self {
            error,
            retry: true,
            retry_after: None,
        }
    }

    pub fn fatal(error: LanguageModelError) -> Self {
        Self {
            error,
            retry: false,
            retry_after: None,
        }
    }
}

/// Classifies a non-2xx answer (status, headers and body).
pub fn http_failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    secret: Option<&str>,
) -> Failure {
    let (message, code) = error_fields(body);
    let said = message
        .as_deref()
        .map(|m| format!(": {}", clean(m, secret)))
        .unwrap_or_default();
    let status = status.as_u16();
    let fault = Fault::from_code(code.as_deref(), message.as_deref().unwrap_or_default());
    let (error, retry) = match (status, fault) {
        (401 | 403, _) => (
            LanguageModelError::KeyRefused(format!(
                "The model service refused the API key (HTTP {status}). Check OPENAI_API_KEY."
            )),
            false,
        ),
        (_, Some(Fault::OutOfQuota)) => (
            LanguageModelError::OutOfQuota(format!(
                "The model service account has run out of quota (HTTP {status}){said}. Check its plan and billing."
            )),
            false,
        ),
        (_, Some(Fault::ContextTooLong)) => (
            LanguageModelError::ContextTooLong(format!(
                "The prompt is longer than the model's context (HTTP {status}){said}"
            )),
            false,
        ),
        (429, _) => (
            LanguageModelError::RateLimited(format!(
                "The model service is rate limiting requests (HTTP 429){said}"
            )),
            true,
        ),
        (408, _) => (
            LanguageModelError::Stalled(format!("The model service timed out (HTTP 408){said}")),
            true,
        ),
        (409 | 500..=599, _) => (
            LanguageModelError::Failed(format!("The model service failed (HTTP {status}){said}")),
            true,
        ),
        _ => (
            LanguageModelError::Refused(format!(
                "The model service refused the request (HTTP {status}){said}"
            )),
            false,
        ),
    };
    // The server may overrule the status-based decision, as the SDKs allow.
    let retry = match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => true,
        Some("false") => false,
        _ => retry,
    };
    Failure {
        error,
        retry,
        retry_after: retry_after(headers),
    }
}

/// The error's `message` and string `code`, from OpenAI's `{"error": {...}}` or a bare object.
fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let error = json.get("error").unwrap_or(&json);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .map(str::to_owned);
    let code = error.get("code").and_then(Value::as_str).map(str::to_owned);
    (message, code)
}

/// `retry-after-ms` (OpenAI's), else `retry-after` in seconds; ignored when absurd.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let delay = header("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| header("retry-after"))
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map(Duration::from_secs_f64)?;
    (delay <= MAX_RETRY_AFTER).then_some(delay)
}

/// An upstream message made safe to show: one line, bounded, and with anything that looks
/// like an API key (ours or one the server echoed, masked or not) blanked out.
pub fn clean(message: &str, secret: Option<&str>) -> String {
    let mut text: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[redacted]");
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            if word.trim_start_matches(['"', '\'', '(']).starts_with("sk-") {
                "[redacted]".to_owned()
            } else {
                word.to_owned()
            }
        })
        .collect();
    let text = words.join(" ");
    if text.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = text.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_never_passed_on() {
        let message =
            "Incorrect API key provided: sk-proj-abc***xyz. You can find your key at https://x";
        let cleaned = clean(message, Some("sk-proj-abcdefxyz"));
        assert!(!cleaned.contains("sk-"), "{cleaned}");
        assert_eq!(
            clean("my key is hunter2", Some("hunter2")),
            "my key is [redacted]"
        );
    }

    #[test]
    fn retry_after_ms_wins_and_absurd_values_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", "1146".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1146)));
        headers.insert("retry-after-ms", "600000".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
