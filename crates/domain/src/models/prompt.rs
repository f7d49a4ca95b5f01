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

impl Prompt {
    /// The same prompt with the older half of its earlier conversation (by characters) left
    /// out, the newest kept: what a model whose context it overflowed is asked next. `None`
    /// when there is no earlier conversation to leave out.
    pub fn with_history_halved(&self) -> Option<Self> {
        let (system, rest) = self.messages.split_first()?;
        let (question, history) = rest.split_last()?;
        if history.is_empty() {
            return None;
        }
        let total: usize = history.iter().map(|m| m.content.chars().count()).sum();
        let mut used = 0;
        let mut kept: Vec<PromptMessage> = history
            .iter()
            .rev()
            .take_while(|m| {
                used += m.content.chars().count();
                used <= total / 2
            })
            .cloned()
            .collect();
        kept.reverse();
        let mut messages = Vec::with_capacity(kept.len() + 2);
        messages.push(system.clone());
        messages.extend(kept);
        messages.push(question.clone());
        Some(Self { messages })
    }
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
