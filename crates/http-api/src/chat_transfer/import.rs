use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::web::{self, Bytes, BytesMut, Json, Query};
use actix_web::{HttpRequest, http::header};
use domain::{FieldError, ImportSummary, Skipped};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::chat_transfer::read;
use crate::error::{ApiError, Problem};
use crate::extract::parse_optional_id;
use crate::schema;
use crate::state::State;

/// How long an upload may take: a 50 MiB file over a slow link, not a client that stalls.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// What a ZIP file may unpack to, as a multiple of the upload limit: ChatGPT's JSON packs
/// about fourfold.
const UNPACK_FACTOR: usize = 4;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Attach every imported chat to this event; without it, a chat of an aidstation file
    /// keeps its event when that event is here, and the others have none.
    #[param(schema_with = schema::uuid_or_empty)]
    event_id: Option<String>,
}

/// The body of an import, as the document describes it (the reading is done by hand).
pub struct ImportFile;

schema::hand_written_schema!(ImportFile, "ImportFile", schema::import_file);

#[derive(Serialize, ToSchema)]
#[schema(as = SkippedConversation)]
pub struct SkippedDto {
    /// Its place in the file, from 0.
    index: usize,
    title: Option<String>,
    reason: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ImportSummary)]
pub struct ImportSummaryDto {
    /// Chats stored.
    imported: usize,
    /// Conversations an earlier import stored (or chats that are here already): not stored
    /// again.
    duplicates: usize,
    /// Conversations that could not be read, each with why; nothing of them is stored.
    skipped: Vec<SkippedDto>,
}

impl From<ImportSummary> for ImportSummaryDto {
    fn from(summary: ImportSummary) -> Self {
        Self {
            imported: summary.imported,
            duplicates: summary.duplicates,
            skipped: summary
                .skipped
                .into_iter()
                .map(
                    |Skipped {
                         index,
                         title,
                         reason,
                     }| SkippedDto {
                        index,
                        title,
                        reason,
                    },
                )
                .collect(),
        }
    }
}

/// `POST /api/chat/import?event_id=`: chats from a file, sent as the body (JSON, or ChatGPT's
/// ZIP) or as the `file` field of a `multipart/form-data` form, up to `IMPORT_MAX_BYTES`. The
/// kind of file is told from its content: an aidstation export, ChatGPT's
/// `conversations.json` (or its ZIP), or an Open WebUI export. Each conversation is stored
/// whole in its own transaction, or skipped with its reason; one imported before is not
/// stored again. The model is never asked anything.
#[utoipa::path(post, path = "/api/chat/import", tag = "chat", params(ImportQuery),
    request_body(content = ImportFile, content_type = "application/json",
        description = "An export file; also as the `file` field of a multipart form, or ChatGPT's ZIP as it is"),
    responses(
        (status = 200, description = "What was imported, what was there already, what was skipped and why", body = ImportSummaryDto),
        (status = 400, description = "Not JSON, not UTF-8, or an event id that is not a UUID",
            content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such event", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "Over IMPORT_MAX_BYTES, or a ZIP file that unpacks to more than four times that",
            content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A file that is no export this server reads, or no file",
            content_type = "application/problem+json", body = Problem),
    ))]
pub async fn import_chats(
    state: State,
    request: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<Json<ImportSummaryDto>, ApiError> {
    let event_id = parse_optional_id("event_id", query.event_id.as_deref())?;
    let limit = state.import_max_bytes;
    let file = tokio::time::timeout(UPLOAD_TIMEOUT, upload(&request, payload, limit))
        .await
        .map_err(|_| ApiError::RequestTimeout)??;
    if file.is_empty() {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "file",
            "no file was sent",
        )]));
    }
    // Reading 50 MiB of JSON is work for a thread of its own, not for the server's.
    let drafts = web::block(move || read::drafts(&file, limit.saturating_mul(UNPACK_FACTOR)))
        .await
        .map_err(|_| ApiError::Internal)??;
    Ok(Json(state.transfer.import(drafts, event_id).await?.into()))
}

/// The file: the body, or the `file` field of a multipart form; `PayloadTooLarge` past
/// `limit` bytes.
async fn upload(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        return collect(payload, limit).await;
    }
    let mut form = Multipart::new(request.headers(), payload);
    while let Some(field) = form.next().await {
        let field = field
            .map_err(|error| ApiError::Malformed(format!("the form cannot be read: {error}")))?;
        if field.name() == Some("file") {
            return collect(field, limit).await;
        }
    }
    Err(ApiError::Invalid(vec![FieldError::new(
        "file",
        "the form has no `file` field",
    )]))
}

async fn collect<E: std::fmt::Display>(
    mut chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let mut file = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        let chunk =
            chunk.map_err(|error| ApiError::Malformed(format!("the upload broke off: {error}")))?;
        if file.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        file.extend_from_slice(&chunk);
    }
    Ok(file.freeze())
}
