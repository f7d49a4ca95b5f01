//! The OpenAPI side of the domain's rules: each helper reads the rule validation reads, so
//! the document states exactly what is checked. A leaf module: it imports nothing of this
//! crate, so every DTO can use it.

use domain::models::bulk_delete::MAX_BULK_IDS;
use domain::models::rules::{
    Blank, COMMENTS, EDITED_TITLE, ELEVATION_FEET, LATITUDE, LONGITUDE, MAX_TAGS, MILES, NAME,
    NumberRule, ORDER_INDEX, PERCENT, SEARCH_TEXT, STOP_MINUTES, TAG, TAG_FILTER, TARGET_MINUTES,
    TextRule,
};
use domain::{ChatLimits, Interruption, MessageStatus, Role, WaypointType};
use serde_json::Value;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, Array, ArrayBuilder, KnownFormat, ObjectBuilder,
    OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Object, RefOr, Required};

/// Text a person must fill in: something besides whitespace (Unicode White_Space, spelled
/// out so every regex engine reads it alike) and no NUL.
const NOT_BLANK: &str =
    r"^[^\x00]*[^\x00\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$";
/// Text that may be blank, but holds no NUL.
const NO_NUL: &str = r"^[^\x00]*$";
/// A tag: not blank, and no control character (Unicode Cc) anywhere.
const TAG_TEXT: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$";

/// What may stand beside the value: `null` (a nullable field, or "keep" in an update).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Null {
    Refused,
    Allowed,
}

fn kinds(kind: Type, null: Null) -> SchemaType {
    match null {
        Null::Refused => SchemaType::Type(kind),
        Null::Allowed => SchemaType::from_iter([kind, Type::Null]),
    }
}

fn text(rule: TextRule, null: Null) -> Object {
    let (pattern, min_length) = match rule.blank {
        Blank::Refused => (NOT_BLANK, Some(1)),
        Blank::Allowed => (NO_NUL, None),
    };
    ObjectBuilder::new()
        .schema_type(kinds(Type::String, null))
        .min_length(min_length)
        .max_length(Some(rule.max_chars))
        .pattern(Some(pattern))
        .build()
}

fn number(rule: NumberRule) -> Object {
    number_or(rule, Null::Allowed)
}

fn number_or(rule: NumberRule, null: Null) -> Object {
    let kind = if rule.whole {
        Type::Integer
    } else {
        Type::Number
    };
    ObjectBuilder::new()
        .schema_type(kinds(kind, null))
        .minimum(Some(rule.min))
        .maximum(Some(rule.max))
        .build()
}

pub fn name() -> Object {
    text(NAME, Null::Refused)
}

/// In a partial update: `null` keeps the name.
pub fn optional_name() -> Object {
    text(NAME, Null::Allowed)
}

pub fn comments() -> Object {
    text(COMMENTS, Null::Allowed)
}

pub fn message() -> Object {
    // The configured limit replaces this default when the document is rendered.
    text(ChatLimits::DEFAULT.message_rule(), Null::Refused)
}

pub fn miles() -> Object {
    number(MILES)
}

pub fn target_minutes() -> Object {
    number(TARGET_MINUTES)
}

pub fn stop_minutes() -> Object {
    number(STOP_MINUTES)
}

pub fn percent() -> Object {
    number(PERCENT)
}

pub fn latitude() -> Object {
    number(LATITUDE)
}

pub fn longitude() -> Object {
    number(LONGITUDE)
}

pub fn elevation_feet() -> Object {
    number(ELEVATION_FEET)
}

pub fn order_index() -> Object {
    number(ORDER_INDEX)
}

pub fn search_text() -> Object {
    text(SEARCH_TEXT, Null::Refused)
}

/// A chat's tags: `null` keeps them.
pub fn tags() -> Array {
    let mut tag = text(TAG, Null::Refused);
    tag.pattern = Some(TAG_TEXT.to_owned());
    ArrayBuilder::new()
        .schema_type(kinds(Type::Array, Null::Allowed))
        .items(tag)
        .max_items(Some(MAX_TAGS))
        .build()
}

/// A body type whose schema is written by hand (as `schema`), under `name`: for what the
/// derive cannot say (`oneOf`, a body read by hand).
macro_rules! hand_written_schema {
    ($type:ty, $name:literal, $schema:path) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $schema().into()
            }
        }

        impl utoipa::ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}
pub(crate) use hand_written_schema;

/// Which chats a bulk delete removes: `ids` or `event_id`, exactly one, nothing else.
pub fn chats_to_delete() -> Schema {
    let ids = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .max_items(Some(MAX_BULK_IDS))
        .description(Some("These chats (at most 500)."));
    let event = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some("Every chat of this event."));
    let only = |name: &str, schema: RefOr<Schema>| {
        ObjectBuilder::new()
            .property(name, schema)
            .required(name)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(only("ids", ids.into()))
            .item(only("event_id", event.into()))
            .build(),
    )
}

/// What an import reads: an aidstation export (`format` names it; its `chats` are read one
/// by one, and one that cannot be is skipped), or an array of ChatGPT or Open WebUI
/// conversations (each read or skipped).
pub fn import_file() -> Schema {
    // Any items: one that is no conversation is skipped, with its reason, not refused.
    let objects =
        || ArrayBuilder::new().items(ObjectBuilder::new().schema_type(SchemaType::AnyValue));
    let export = ObjectBuilder::new()
        .property(
            "format",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["aidstation.chat.v1"])),
        )
        .required("format")
        .property("chats", objects())
        .required("chats")
        .description(Some("An aidstation export"));
    let conversations = objects().description(Some(
        "ChatGPT's conversations.json, or an Open WebUI export",
    ));
    Schema::OneOf(OneOfBuilder::new().item(export).item(conversations).build())
}

/// How many items a page holds, within `rule`.
pub fn page_limit(rule: NumberRule) -> Object {
    number_or(rule, Null::Refused)
}

/// An edited chat title: `null` keeps it.
pub fn edited_title() -> Object {
    text(EDITED_TITLE, Null::Allowed)
}

/// A tag a chat list is filtered by.
pub fn tag_filter() -> Object {
    text(TAG_FILTER, Null::Refused)
}

/// A query parameter written by hand (the derive drops `required` and the description of a
/// parameter whose schema comes from a function).
pub fn query_param(
    name: &str,
    required: Required,
    description: &str,
    schema: impl Into<RefOr<Schema>>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// The `event_id` query parameter of the lists that take one or every event's chats.
pub fn event_scope_param() -> Parameter {
    query_param(
        "event_id",
        Required::False,
        "Only this event's chats; every chat when absent or empty.",
        uuid_or_empty(),
    )
}

/// A query parameter that is one of `values`.
pub fn choice_param(name: &str, description: &str, values: &[&'static str]) -> Parameter {
    query_param(
        name,
        Required::False,
        description,
        strings(values.iter().copied(), Null::Refused),
    )
}

fn strings(values: impl IntoIterator<Item = &'static str>, null: Null) -> Object {
    let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
    if null == Null::Allowed {
        values.push(Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(kinds(Type::String, null))
        .enum_values(Some(values))
        .build()
}

fn string(format: KnownFormat) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
}

/// `format`, or "" meaning none given (an empty form field, the original frontend's
/// `?event_id=`), or also `null` when allowed.
fn or_empty(format: KnownFormat, null: Null) -> Schema {
    let empty = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(0));
    let mut any = AnyOfBuilder::new().item(string(format)).item(empty);
    if null == Null::Allowed {
        any = any.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    Schema::AnyOf(any.build())
}

pub fn uuid_or_empty() -> Schema {
    or_empty(KnownFormat::Uuid, Null::Refused)
}

pub fn optional_uuid() -> Schema {
    or_empty(KnownFormat::Uuid, Null::Allowed)
}

pub fn date_or_empty() -> Schema {
    or_empty(KnownFormat::Date, Null::Refused)
}

pub fn optional_datetime() -> Schema {
    or_empty(KnownFormat::DateTime, Null::Allowed)
}

pub fn role() -> Object {
    strings(
        [Role::User, Role::Assistant].map(Role::as_str),
        Null::Refused,
    )
}

pub fn optional_role() -> Object {
    strings(
        [Role::User, Role::Assistant].map(Role::as_str),
        Null::Allowed,
    )
}

pub fn message_status() -> Object {
    let all = [
        MessageStatus::Complete,
        MessageStatus::Interrupted(Interruption::CutOff),
        MessageStatus::Generating,
    ];
    strings(all.iter().map(MessageStatus::as_str), Null::Refused)
}

pub fn waypoint_type() -> Object {
    strings(WaypointType::ALL.map(WaypointType::as_str), Null::Refused)
}

pub fn optional_waypoint_type() -> Object {
    strings(WaypointType::ALL.map(WaypointType::as_str), Null::Allowed)
}
