use actix_web::HttpResponse;
use actix_web::web::{self, Query};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use domain::ServiceError;

use crate::chat_transfer::format::{ChatV1, ExportFile, FORMAT, FileHead};
use crate::chat_transfer::{attachment, markdown, pdf};
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
    /// A PDF to print or send: A4, wrapped paragraphs, page numbers, selectable text.
    Pdf,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `md` (the default), `json` or `pdf`.
    #[serde(default)]
    format: ChatFileFormat,
}

/// `GET /api/chat/sessions/{id}/export?format=md|json|pdf`: the chat as a file to download,
/// named after its title.
#[utoipa::path(get, path = "/api/chat/sessions/{id}/export", tag = "chat", params(SessionId, ExportQuery),
    responses(
        (status = 200, description = "The chat's file", content(("text/markdown; charset=utf-8"), ("application/json"), ("application/pdf"))),
        (status = 404, description = "No such chat", content_type = "application/problem+json", body = Problem)))]
pub async fn export_chat(
    state: State,
    id: SessionId,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (chat, event) = state.transfer.export_chat(id.0).await?;
    let title = chat.session.title.clone();
    let failed = |error: String| ApiError::from(ServiceError::Unexpected(error.into()));
    Ok(match query.format {
        ChatFileFormat::Pdf => {
            // Laying out and writing a long chat is CPU work: off the server's threads.
            let pdf = web::block(move || pdf::render(&chat, event.as_ref()))
                .await
                .map_err(|error| failed(error.to_string()))?
                .map_err(failed)?;
            HttpResponse::Ok()
                .content_type("application/pdf")
                .insert_header(attachment(&title, "pdf"))
                .body(pdf)
        }
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
