//! What an import file holds, told from its content: a ZIP (ChatGPT's export, holding
//! `conversations.json`), an aidstation export (an object with `"format":
//! "aidstation.chat.v1"`), or an array of ChatGPT or Open WebUI conversations. The JSON is
//! read one conversation at a time: each becomes a draft (or the reason it was skipped)
//! before the next is read, so the memory an import takes is its file plus the drafts.

use std::fmt;
use std::io::{Cursor, Read};

use domain::{ChatDraft, Skipped};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::chat_transfer::format::{ChatV1, FORMAT};
use crate::chat_transfer::{chatgpt, open_webui};
use crate::error::ApiError;

/// Every conversation of a file, in file order.
pub type Drafts = Vec<Result<ChatDraft, Skipped>>;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads a whole import file. `unpacked_limit` bounds what a ZIP may unpack to (so a small
/// file cannot unpack to gigabytes).
pub fn drafts(file: &[u8], unpacked_limit: usize) -> Result<Drafts, ApiError> {
    if file.starts_with(ZIP_MAGIC) {
        let json = conversations_in_zip(file, unpacked_limit)?;
        return json_drafts(&json);
    }
    json_drafts(file)
}

fn conversations_in_zip(file: &[u8], unpacked_limit: usize) -> Result<Vec<u8>, ApiError> {
    let unreadable = |_| {
        ApiError::Invalid(vec![domain::FieldError::new(
            "file",
            "the ZIP file cannot be read",
        )])
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(file)).map_err(unreadable)?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| name.rsplit('/').next() == Some("conversations.json"))
        .min_by_key(|name| name.len())
        .map(|name| name.into_owned())
        .ok_or_else(|| {
            invalid("the ZIP file holds no conversations.json (ChatGPT's export does)")
        })?;
    let entry = archive.by_name(&name).map_err(unreadable)?;
    let too_big = || ApiError::Unpacked(unpacked_limit);
    if usize::try_from(entry.size()).map_or(true, |size| size > unpacked_limit) {
        return Err(too_big());
    }
    // The declared size may lie: never read past the limit.
    let mut json = Vec::new();
    entry
        .take(unpacked_limit as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|_| invalid("conversations.json in the ZIP file cannot be unpacked"))?;
    if json.len() > unpacked_limit {
        return Err(too_big());
    }
    Ok(json)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![domain::FieldError::new("file", message)])
}

fn json_drafts(json: &[u8]) -> Result<Drafts, ApiError> {
    let text = std::str::from_utf8(json).map_err(|error| {
        ApiError::Malformed(format!(
            "the file is not UTF-8 text (invalid bytes at byte {})",
            error.valid_up_to()
        ))
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut drafts = Vec::new();
    (&mut deserializer)
        .deserialize_any(File {
            drafts: &mut drafts,
        })
        .and_then(|()| deserializer.end())
        .map_err(|error| match error.classify() {
            serde_json::error::Category::Data => invalid(error.to_string()),
            _ if error.to_string().starts_with("recursion limit exceeded") => invalid(format!(
                "the file is nested too deeply to be an export ({error})"
            )),
            _ => ApiError::Malformed(format!("the file is not JSON: {error}")),
        })?;
    Ok(drafts)
}

/// The whole file: an array of conversations, or an aidstation export.
struct File<'a> {
    drafts: &'a mut Drafts,
}

const NOT_AN_EXPORT: &str = "an export of ChatGPT (conversations.json), Open WebUI or aidstation";

impl<'de> Visitor<'de> for File<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_AN_EXPORT)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<(), A::Error> {
        each(items, self.drafts, conversation)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        let (mut format, mut chats) = (None, false);
        while let Some(key) = fields.next_key::<String>()? {
            match key.as_str() {
                "format" => format = Some(fields.next_value::<String>()?),
                "chats" if chats => {
                    return Err(serde::de::Error::custom("the file names `chats` twice"));
                }
                "chats" => {
                    chats = true;
                    fields.next_value_seed(Each {
                        drafts: &mut *self.drafts,
                        read: aidstation_chat,
                    })?;
                }
                _ => {
                    fields.next_value::<IgnoredAny>()?;
                }
            }
        }
        match format.as_deref() {
            Some(FORMAT) if chats => Ok(()),
            Some(FORMAT) => Err(serde::de::Error::custom("the file has no `chats`")),
            Some(other) => Err(serde::de::Error::custom(format!(
                "the file's format is {other:?}; this server reads {FORMAT:?}"
            ))),
            None => Err(serde::de::Error::custom(format!(
                "expected {NOT_AN_EXPORT}"
            ))),
        }
    }
}

/// The items of an array of conversations, each read by `read` as it comes.
struct Each<'a> {
    drafts: &'a mut Drafts,
    read: fn(Value) -> Result<ChatDraft, String>,
}

impl<'de> DeserializeSeed<'de> for Each<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of chats")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<(), A::Error> {
        each(items, self.drafts, self.read)
    }
}

/// Reads each item into a draft, or the reason it was skipped.
fn each<'de, A: SeqAccess<'de>>(
    mut items: A,
    drafts: &mut Drafts,
    read: fn(Value) -> Result<ChatDraft, String>,
) -> Result<(), A::Error> {
    while let Some(item) = items.next_element::<Value>()? {
        let index = drafts.len();
        let title = title_of(&item);
        drafts.push(read(item).map_err(|reason| Skipped {
            index,
            title,
            reason,
        }));
    }
    Ok(())
}

/// A ChatGPT or an Open WebUI conversation, told apart by their shapes. (By value, as every
/// reader of [`each`] takes it.)
#[allow(clippy::needless_pass_by_value)]
fn conversation(item: Value) -> Result<ChatDraft, String> {
    if item.get("mapping").is_some() {
        chatgpt::conversation(&item)
    } else if item.get("chat").is_some() {
        open_webui::conversation(&item)
    } else {
        Err("it is not a ChatGPT or Open WebUI conversation".into())
    }
}

/// A chat of an aidstation export.
fn aidstation_chat(item: Value) -> Result<ChatDraft, String> {
    serde_json::from_value::<ChatV1>(item)
        .map_err(|error| error.to_string())
        .and_then(ChatV1::into_draft)
}

/// A conversation's title as its file has it, to name what was skipped.
fn title_of(item: &Value) -> Option<String> {
    item.get("title")
        .or_else(|| item.pointer("/chat/title"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}
