use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use actix_web::HttpResponse;
use actix_web::web::{Bytes, Query};
use domain::{ChatSession, Missing, ServiceError};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

use crate::chat_transfer::format::{ChatV1, FORMAT, FileHead};
use crate::chat_transfer::{ascii_name, attachment, markdown};
use crate::error::{ApiError, Problem};
use crate::extract::parse_optional_id;
use crate::schema;
use crate::state::State;

/// The file many chats are exported as.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChatsFileFormat {
    /// One `aidstation.chat.v1` file holding every chat.
    #[default]
    Json,
    /// One Markdown file per chat.
    Zip,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportManyQuery {
    /// Only this event's chats; every chat when absent or empty.
    #[param(schema_with = schema::uuid_or_empty)]
    event_id: Option<String>,
    /// `json` (the default) or `zip`.
    #[serde(default)]
    format: ChatsFileFormat,
}

/// `GET /api/chat/export?event_id=&format=json|zip`: the event's chats (every chat without
/// `event_id`) as one download, written as it is read, one chat at a time: the memory it
/// takes does not grow with the history.
#[utoipa::path(get, path = "/api/chat/export", tag = "chat", params(ExportManyQuery),
    responses(
        (status = 200, description = "The file, as an attachment",
            content(("application/json"), ("application/zip"))),
        (status = 404, description = "No such event", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn export_chats(
    state: State,
    query: Query<ExportManyQuery>,
) -> Result<HttpResponse, ApiError> {
    let event_id = parse_optional_id("event_id", query.event_id.as_deref())?;
    let (event, chats) = state.transfer.chats_to_export(event_id).await?;
    let name = event.map_or_else(
        || "aidstation chats".to_owned(),
        |event| format!("{} chats", event.fields.name),
    );
    let mut response = HttpResponse::Ok();
    Ok(match query.format {
        ChatsFileFormat::Json => response
            .content_type("application/json")
            .insert_header(attachment(&name, "json"))
            .streaming(json_file(state, chats)),
        ChatsFileFormat::Zip => response
            .content_type("application/zip")
            .insert_header(attachment(&name, "zip"))
            .streaming(zip_file(state, chats)),
    })
}

/// Each chat with its messages and event, read when its turn comes; a chat deleted since the
/// list was read is left out.
fn read_each(
    state: State,
    chats: Vec<ChatSession>,
) -> impl Stream<Item = Result<(domain::SessionWithMessages, Option<domain::Event>), ApiError>> {
    stream::iter(chats)
        .then(move |chat| {
            let state = state.clone();
            async move { state.transfer.export_chat(chat.id).await }
        })
        .filter_map(|read| async move {
            match read {
                Err(ServiceError::NotFound(Missing::ChatSession)) => None,
                other => Some(other.map_err(ApiError::from)),
            }
        })
}

fn json_file(state: State, chats: Vec<ChatSession>) -> impl Stream<Item = Result<Bytes, ApiError>> {
    // The file's head as its own JSON, with the array of chats opened after it.
    let mut head = serde_json::to_string(&FileHead {
        format: FORMAT,
        exported_at: state.transfer.now(),
    })
    .unwrap_or_default();
    head.pop();
    head.push_str(",\"chats\":[");
    let body = read_each(state, chats).enumerate().map(|(i, read)| {
        let (chat, event) = read?;
        let mut piece = if i == 0 { Vec::new() } else { b",".to_vec() };
        serde_json::to_writer(&mut piece, &ChatV1::new(&chat, event.as_ref()))
            .map_err(|error| ApiError::from(ServiceError::Unexpected(Box::new(error))))?;
        Ok(Bytes::from(piece))
    });
    stream::once(async move { Ok(Bytes::from(head)) })
        .chain(body)
        .chain(stream::once(async { Ok(Bytes::from_static(b"]}")) }))
}

/// What the ZIP writer has written and the stream has not sent yet.
#[derive(Clone, Default)]
struct Pending(Rc<RefCell<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Pending {
    fn take(&self) -> Bytes {
        Bytes::from(std::mem::take(&mut *self.0.borrow_mut()))
    }
}

fn zip_error(error: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::from(ServiceError::Unexpected(Box::new(error)))
}

/// One Markdown file per chat, named by its date, title and the start of its id (unique).
fn zip_file(state: State, chats: Vec<ChatSession>) -> impl Stream<Item = Result<Bytes, ApiError>> {
    let pending = Pending::default();
    let zip = Rc::new(RefCell::new(Some(ZipWriter::new_stream(pending.clone()))));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let (files, last) = (zip.clone(), pending.clone());
    let body = read_each(state, chats).map(move |read| {
        let (chat, event) = read?;
        let s = &chat.session;
        let name = format!(
            "{} {} {}.md",
            s.created_at.format("%Y-%m-%d"),
            ascii_name(&s.title),
            &s.id.simple().to_string()[..8]
        );
        let mut zip = files.borrow_mut();
        let zip: &mut ZipWriter<StreamWriter<Pending>> = zip
            .as_mut()
            .ok_or_else(|| zip_error(std::io::Error::other("finished")))?;
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(markdown::render(&chat, event.as_ref()).as_bytes())
            .map_err(zip_error)?;
        Ok(pending.take())
    });
    let end = stream::once(async move {
        let zip = zip.borrow_mut().take();
        if let Some(zip) = zip {
            zip.finish().map_err(zip_error)?;
        }
        Ok(last.take())
    });
    body.chain(end)
}
