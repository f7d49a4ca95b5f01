//! Open WebUI's chat export (`/api/v1/chats/all`, or a chat's "Export chat (.json)"): an
//! array of `{id, title, chat, created_at, ...}` where `chat.history.messages` is a tree
//! (`parentId`, `childrenIds`) whose `currentId` is the message the person last saw; older
//! exports have only `chat.messages`, in order. The branch ending at `currentId` is
//! imported, else `chat.messages`.

use chrono::{DateTime, Utc};
use domain::{ChatDraft, ChatMessage, ImportKind};
use serde_json::Value;

/// Open WebUI writes seconds since 1970; some versions milliseconds (told apart by size).
fn time(value: &Value) -> Option<DateTime<Utc>> {
    let number = value.as_f64()?;
    let seconds = if number.abs() > 1e11 {
        number / 1000.0
    } else {
        number
    };
    super::chatgpt::epoch_seconds(&Value::from(seconds))
}

fn message(
    value: &Value,
    fallback_time: DateTime<Utc>,
    default_model: Option<&str>,
) -> Option<ChatMessage> {
    super::said(
        value.get("role").and_then(Value::as_str),
        value.get("content")?.as_str()?.to_owned(),
        value
            .get("timestamp")
            .and_then(time)
            .unwrap_or(fallback_time),
        value.get("model").and_then(Value::as_str).or(default_model),
    )
}

/// One chat of the file; `Err` says why it cannot be imported.
pub fn conversation(value: &Value) -> Result<ChatDraft, String> {
    let chat = value
        .get("chat")
        .filter(|c| c.is_object())
        .ok_or("it has no `chat`")?;
    let external_id = value
        .get("id")
        .or_else(|| chat.get("id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or("it has no id")?
        .to_owned();
    let created_at = value
        .get("created_at")
        .or_else(|| chat.get("timestamp"))
        .and_then(time);
    let fallback = created_at.unwrap_or(DateTime::UNIX_EPOCH);
    let default_model = chat.pointer("/models/0").and_then(Value::as_str);
    let tree = chat.pointer("/history/messages").and_then(Value::as_object);
    let current = chat.pointer("/history/currentId").and_then(Value::as_str);
    let ordered: Vec<&Value> = match (tree, current) {
        (Some(tree), Some(current)) if tree.contains_key(current) => {
            super::branch(tree, current, "parentId")?
        }
        _ => chat
            .get("messages")
            .and_then(Value::as_array)
            .ok_or("it has neither `history` nor `messages`")?
            .iter()
            .collect(),
    };
    Ok(ChatDraft {
        kind: ImportKind::OpenWebUi,
        external_id,
        session: None,
        title: value
            .get("title")
            .or_else(|| chat.get("title"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        created_at,
        messages: ordered
            .into_iter()
            .filter_map(|m| message(m, fallback, default_model))
            .collect(),
    })
}
