use crate::models::chat::TokenUsage;

/// Who says a line of the prompt. `System` carries the coach's instructions and the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptMessage {
    pub role: PromptRole,
    pub content: String,
}

/// Everything the model is sent for one answer, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub messages: Vec<PromptMessage>,
}

/// One item of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyChunk {
    /// The next piece of the answer's text, in order.
    Text(String),
    /// The model said it is done; always the last item of a finished answer. A stream that
    /// ends without it was cut short.
    Finished {
        finish_reason: String,
        model: Option<String>,
        usage: Option<TokenUsage>,
    },
}
