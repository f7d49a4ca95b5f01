//! ChatGPT's `conversations.json` (Settings → Data controls → Export): an array of
//! conversations, each a tree of nodes (`mapping`: id → `{message, parent, children}`)
//! where edits and regenerations are branches; `current_node` is the leaf the person last
//! saw. The branch that ends there is imported, root first; system and tool messages,
//! messages addressed to a tool, hidden ones and parts that are not text (images, files)
//! are left out.

use chrono::{DateTime, Utc};
use domain::{ChatDraft, ChatMessage, ImportKind};
use serde_json::{Map, Value};

/// Seconds since 1970 (with a fraction), as ChatGPT writes times.
pub fn epoch_seconds(value: &Value) -> Option<DateTime<Utc>> {
    let seconds = value.as_f64()?;
    let micros = (seconds * 1e6).round();
    (micros.is_finite() && micros.abs() < 1e17)
        .then(|| DateTime::from_timestamp_micros(micros as i64))
        .flatten()
}

/// The node the branch ends at: `current_node`, or when the file has none (or names a node
/// it does not hold), the leaf written last.
fn last_node<'a>(
    conversation: &'a Map<String, Value>,
    mapping: &'a Map<String, Value>,
) -> Option<&'a str> {
    if let Some(current) = conversation.get("current_node").and_then(Value::as_str)
        && mapping.contains_key(current)
    {
        return Some(current);
    }
    let written = |node: &Value| {
        node.pointer("/message/create_time")
            .and_then(Value::as_f64)
            .unwrap_or(f64::MIN)
    };
    mapping
        .iter()
        .filter(|(_, node)| {
            node.get("children")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        })
        .max_by(|(_, a), (_, b)| written(a).total_cmp(&written(b)))
        .map(|(id, _)| id.as_str())
}

/// A node's message as one of ours, when it is a person's or the assistant's text meant for
/// A node's message as one of ours, when it is a person's or the assistant's text meant for
/// the conversation.
fn message(
    node: &Value,
    fallback_time: DateTime<Utc>,
    default_model: Option<&str>,
) -> Option<ChatMessage> {
    let message = node.get("message")?;
    let to_all = message
        .get("recipient")
        .and_then(Value::as_str)
        .is_none_or(|r| r == "all");
    let hidden = message
        .pointer("/metadata/is_visually_hidden_from_conversation")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !to_all || hidden {
        return None;
    }
    let content = message.get("content")?;
    let text = match content.get("content_type").and_then(Value::as_str) {
        Some("text" | "multimodal_text") | None => content
            .get("parts")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        Some(_) => return None,
    };
    super::said(
        message.pointer("/author/role").and_then(Value::as_str),
        text,
        message
            .get("create_time")
            .and_then(epoch_seconds)
            .unwrap_or(fallback_time),
        message
            .pointer("/metadata/model_slug")
            .and_then(Value::as_str)
            .or(default_model),
    )
}

/// One conversation of the file; `Err` says why it cannot be imported.
pub fn conversation(value: &Value) -> Result<ChatDraft, String> {
    let conversation = value.as_object().ok_or("it is not an object")?;
    let mapping = conversation
        .get("mapping")
        .and_then(Value::as_object)
        .ok_or("it has no message tree (`mapping`)")?;
    let external_id = ["conversation_id", "id"]
        .iter()
        .find_map(|key| conversation.get(*key).and_then(Value::as_str))
        .ok_or("it has no id")?
        .to_owned();
    let created_at = conversation.get("create_time").and_then(epoch_seconds);
    let fallback = created_at.unwrap_or(DateTime::UNIX_EPOCH);
    let default_model = conversation
        .get("default_model_slug")
        .and_then(Value::as_str);
    let branch = match last_node(conversation, mapping) {
        Some(last) => super::branch(mapping, last, "parent")?,
        None => Vec::new(),
    };
    let messages = branch
        .into_iter()
        .filter_map(|node| message(node, fallback, default_model))
        .collect();
    Ok(ChatDraft {
        kind: ImportKind::ChatGpt,
        external_id,
        session: None,
        title: conversation
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        created_at,
        messages,
    })
}
