use actix_web::HttpResponse;
use actix_web::web::Query;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use domain::ServiceError;

use crate::chat_transfer::format::{ChatV1, ExportFile, FORMAT, FileHead};
use crate::chat_transfer::{attachment, markdown};
use crate::error::{ApiError, Problem};
use crate::extract::SessionId;
use crate::state::State;

/// The file one chat is exported as.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChatFileFormat {
    /// Markdown: title, event, dates, each message with its author and time.
    #[default]
    Md,
    /// `aidstation.chat.v1`: everything, for an import to give it back.
    Json,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `md` (the default) or `json`.
    #[serde(default)]
    format: ChatFileFormat,
}

/// `GET /api/chat/sessions/{id}/export?format=md|json`: the chat as a file to download,
/// named after its title.
#[utoipa::path(get, path = "/api/chat/sessions/{id}/export", tag = "chat", params(SessionId, ExportQuery),
    responses(
        (status = 200, description = "The chat's file", content(("text/markdown; charset=utf-8"), ("application/json"))),
        (status = 404, description = "No such chat", content_type = "application/problem+json", body = Problem)))]
pub async fn export_chat(
    state: State,
    id: SessionId,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (chat, event) = state.transfer.export_chat(id.0).await?;
    let title = chat.session.title.clone();
    Ok(match query.format {
        ChatFileFormat::Md => HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .insert_header(attachment(&title, "md"))
            .body(markdown::render(&chat, event.as_ref())),
        ChatFileFormat::Json => {
            let file = ExportFile {
                head: FileHead {
                    format: FORMAT,
                    exported_at: state.transfer.now(),
                },
                chats: vec![ChatV1::new(&chat, event.as_ref())],
            };
            let body = serde_json::to_vec(&file)
                .map_err(|error| ApiError::from(ServiceError::Unexpected(Box::new(error))))?;
            HttpResponse::Ok()
                .content_type("application/json")
                .insert_header(attachment(&title, "json"))
                .body(body)
        }
    })
}
