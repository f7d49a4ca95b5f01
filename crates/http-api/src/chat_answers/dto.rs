use serde::{Deserialize, Serialize};
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `?after=`: kept as text so a bad cursor is a 400 in our words.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResumeQuery {
    /// The cursor to resume after: the `id:` of the last `chunk` event received (bytes of
    /// the answer's text). The `Last-Event-ID` header, when sent, wins. From the start when
    /// neither is given.
    #[param(value_type = Option<u64>)]
    pub after: Option<String>,
}

/// The `Last-Event-ID` header, as the document states it: a whole number when sent (utoipa
/// would make an optional header nullable, and "null" is no cursor).
pub struct LastEventId;

impl IntoParams for LastEventId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let cursor = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0));
        vec![
            ParameterBuilder::new()
                .name("Last-Event-ID")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some("The cursor to resume after (wins over `after`)"))
                .schema(Some(cursor))
                .build(),
        ]
    }
}

/// What a stop request found.
#[derive(Serialize, ToSchema)]
#[schema(as = StopAnswer)]
pub struct StopDto {
    pub id: Uuid,
    /// `stopping` (it was being written; its stream ends with an `error` event of code
    /// `stopped`) or `ended` (it had already ended; nothing changed).
    pub status: &'static str,
}
