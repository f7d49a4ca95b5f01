//! Turns the `data:` payloads of a chat-completions stream into answer pieces. The SSE
//! framing (comments, CR/LF variants, multi-line data, split UTF-8) is eventsource-stream's
//! job; this reads what is inside.

use domain::{ReplyChunk, TokenUsage};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

/// Only what becomes the answer: `content`, and `refusal` (a refusal is the answer the
/// person gets). `reasoning`, `tool_calls`, `logprobs` and unknown fields are ignored.
#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    total_tokens: Option<i64>,
}

/// What went wrong with a stream, by what it means for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The server reported a failure of its own: worth another try before any text.
    Failed,
    /// The server refused the request.
    Refused,
    /// The request was longer than the model's context.
    ContextTooLong,
    RateLimited,
    OutOfQuota,
    /// What arrived is not an answer stream.
    Malformed,
    /// Nothing arrived for the idle timeout.
    Stalled,
    /// The connection broke, or the stream ended without a finish.
    Cut,
}

impl Fault {
    /// What an OpenAI-style error `code` (or, from servers that send none, the message)
    /// says beyond the HTTP status or error type.
    pub fn from_code(code: Option<&str>, message: &str) -> Option<Self> {
        let message = message.to_lowercase();
        match code {
            Some("context_length_exceeded") => Some(Self::ContextTooLong),
            Some("insufficient_quota") => Some(Self::OutOfQuota),
            Some("rate_limit_exceeded") => Some(Self::RateLimited),
            // vLLM, llama.cpp and Ollama say it in words only.
            _ if [
                "maximum context length",
                "context length",
                "context size",
                "context window",
            ]
            .iter()
            .any(|words| message.contains(words)) =>
            {
                Some(Self::ContextTooLong)
            }
            _ => None,
        }
    }
}

/// A stream that failed: the server's own words (for the log only) and what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub message: String,
    pub fault: Fault,
}

/// The state of one streamed answer.
#[derive(Debug, Default)]
pub struct ChunkParser {
    finish_reason: Option<String>,
    model: Option<String>,
    usage: Option<TokenUsage>,
    done: bool,
}

impl ChunkParser {
    /// Reads one event's data; returns the text pieces it carries (choice 0 only: the other
    /// choices of an `n > 1` request are never mixed in).
    pub fn on_data(&mut self, data: &str) -> Result<Vec<String>, StreamError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Vec::new());
        }
        let chunk: StreamChunk = serde_json::from_str(data).map_err(|_| StreamError {
            message: "the model service sent a malformed stream".into(),
            fault: Fault::Malformed,
        })?;
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            return Err(stream_error(&error));
        }
        if self.model.is_none() {
            self.model = chunk.model.filter(|m| !m.is_empty());
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(TokenUsage {
                prompt_tokens: usage.prompt_tokens.and_then(|n| i32::try_from(n).ok()),
                completion_tokens: usage.completion_tokens.and_then(|n| i32::try_from(n).ok()),
                total_tokens: usage.total_tokens.and_then(|n| i32::try_from(n).ok()),
            });
        }
        let mut pieces = Vec::new();
        for choice in chunk
            .choices
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.index == 0)
        {
            if let Some(delta) = choice.delta {
                pieces.extend(
                    delta
                        .content
                        .into_iter()
                        .chain(delta.refusal)
                        .filter(|t| !t.is_empty()),
                );
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                if reason == "error" {
                    // OpenRouter's way of saying the provider failed mid-answer.
                    return Err(StreamError {
                        message: "the model service reported an error".into(),
                        fault: Fault::Failed,
                    });
                }
                self.finish_reason = Some(reason);
            }
        }
        Ok(pieces)
    }

    /// `[DONE]` arrived: nothing more will.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The closing item: `Finished` when the model gave a finish reason, else `None` (the
    /// answer was cut short).
    pub fn finish(&mut self) -> Option<ReplyChunk> {
        let finish_reason = self.finish_reason.take()?;
        Some(ReplyChunk::Finished {
            finish_reason,
            model: self.model.take(),
            usage: self.usage.take(),
        })
    }
}

fn stream_error(error: &Value) -> StreamError {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("the model service reported an error");
    let kind = error
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let code = error.get("code");
    let server_side = kind == "server_error"
        || code.and_then(Value::as_u64).is_some_and(|c| c >= 500)
        || code
            .and_then(Value::as_str)
            .is_some_and(|c| c == "server_error");
    let fault = Fault::from_code(code.and_then(Value::as_str), message).unwrap_or(if server_side {
        Fault::Failed
    } else {
        Fault::Refused
    });
    StreamError {
        message: message.to_owned(),
        fault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_choice_zero_is_read_and_refusals_count_as_text() {
        let mut parser = ChunkParser::default();
        let pieces = parser
            .on_data(r#"{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":null,"refusal":"No."}}]}"#)
            .unwrap();
        assert_eq!(pieces, ["No."]);
    }

    #[test]
    fn usage_is_taken_wherever_it_appears_and_the_last_one_wins() {
        let mut parser = ChunkParser::default();
        parser.on_data(r#"{"model":"m","choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#).unwrap();
        parser
            .on_data(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#)
            .unwrap();
        parser.on_data(r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":5,"total_tokens":6}}"#).unwrap();
        let Some(ReplyChunk::Finished {
            finish_reason,
            usage,
            model,
        }) = parser.finish()
        else {
            panic!("not finished")
        };
        assert_eq!(finish_reason, "stop");
        assert_eq!(model.as_deref(), Some("m"));
        assert_eq!(usage.and_then(|u| u.completion_tokens), Some(5));
    }

    #[test]
    fn an_error_object_or_string_is_an_error_with_its_message() {
        let mut parser = ChunkParser::default();
        let error = parser
            .on_data(r#"{"error":{"message":"boom","type":"server_error"}}"#)
            .unwrap_err();
        assert_eq!(
            error,
            StreamError {
                message: "boom".into(),
                fault: Fault::Failed
            }
        );
        let error = parser.on_data(r#"{"error":"bad things"}"#).unwrap_err();
        assert_eq!(error.message, "bad things");
        assert_eq!(error.fault, Fault::Refused);
        let error = parser
            .on_data(r#"{"error":{"message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError"}}"#)
            .unwrap_err();
        assert_eq!(error.fault, Fault::ContextTooLong);
    }

    #[test]
    fn without_a_finish_reason_there_is_no_finished_item() {
        let mut parser = ChunkParser::default();
        parser
            .on_data(r#"{"choices":[{"index":0,"delta":{"content":"partial"}}]}"#)
            .unwrap();
        assert_eq!(parser.finish(), None);
    }
}
