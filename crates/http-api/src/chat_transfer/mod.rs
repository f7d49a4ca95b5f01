//! Carrying chats out and in: one chat as Markdown, JSON or PDF; many as one JSON file or a
//! ZIP of Markdown files; and imports of aidstation, ChatGPT and Open WebUI files.

pub mod chatgpt;
pub mod export_many;
pub mod export_one;
pub mod format;
pub mod import;
pub mod markdown;
pub mod open_webui;
pub mod pdf;
pub mod read;

use actix_web::http::header::{self, HeaderValue};
use chrono::{DateTime, Utc};
use domain::{ChatMessage, Role};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The nodes of a message tree from its root down to `last`, each found by the id its
/// `parent_key` names (at most as many steps as the tree has nodes: a cycle is an error).
fn branch<'a>(
    tree: &'a Map<String, Value>,
    last: &str,
    parent_key: &str,
) -> Result<Vec<&'a Value>, String> {
    let mut branch = Vec::new();
    let mut at = Some(last);
    while let Some(id) = at {
        if branch.len() >= tree.len() {
            return Err("its message tree has a cycle".into());
        }
        let node = tree
            .get(id)
            .ok_or("its message tree names a message it does not hold")?;
        branch.push(node);
        at = node.get(parent_key).and_then(Value::as_str);
    }
    branch.reverse();
    Ok(branch)
}

/// A message of another app's file as one of ours: a person's or the assistant's non-blank
/// text (the model only for an answer); `None` for other roles and blank text.
fn said(
    role: Option<&str>,
    text: String,
    created_at: DateTime<Utc>,
    model: Option<&str>,
) -> Option<ChatMessage> {
    let role = match role? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    };
    if text.trim().is_empty() {
        return None;
    }
    Some(ChatMessage {
        role,
        model: model.filter(|_| role == Role::Assistant).map(str::to_owned),
        ..ChatMessage::from_user(Uuid::nil(), Uuid::nil(), text, created_at)
    })
}

/// `title` as a file name any system takes: ASCII letters, digits and a few signs, the rest
/// `_`, at most 80 characters; `chat` when nothing is left.
pub fn ascii_name(title: &str) -> String {
    let ascii: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .,-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = ascii.split_whitespace().collect::<Vec<_>>().join(" ");
    let ascii: String = ascii
        .trim_matches(|c: char| c == '.' || c == '_' || c == ' ')
        .chars()
        .take(80)
        .collect();
    if ascii.is_empty() {
        "chat".to_owned()
    } else {
        ascii
    }
}

/// `Content-Disposition` of a download named after `title`: a plain ASCII `filename` for
/// every client, and the title itself (`filename*`, RFC 5987) for those that read it.
pub fn attachment(title: &str, extension: &str) -> (header::HeaderName, HeaderValue) {
    let ascii = ascii_name(title);
    let full = format!("{title}.{extension}");
    let encoded: String = full
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let value = format!("attachment; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{encoded}");
    (
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_named_in_ascii_and_in_full() {
        let (_, value) = attachment("Pacing — Western States \"100\"", "md");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"Pacing _ Western States _100.md\"; \
             filename*=UTF-8''Pacing%20%E2%80%94%20Western%20States%20%22100%22.md"
        );
        let (_, value) = attachment("東京 🏃", "json");
        assert!(
            value
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"chat.json\"; filename*=UTF-8''%E6%9D%B1")
        );
    }
}
