//! Reading the chat stream the way the original frontend reads it.

use serde_json::Value;

/// The events of an SSE body, read the way the original frontend reads them: every event
/// is an `event: <name>` line (a `chunk` then an `id: <cursor>` line) and exactly one
/// `data: ` line (with the space) holding one JSON object, whose fields agree with the
/// name; `:` lines are comments (pings). A chunk's cursor is given back as `"id"`.
pub fn parse_sse(body: &str) -> Vec<Value> {
    assert!(
        body.is_empty() || body.ends_with("\n\n"),
        "stream does not end with a blank line: {body:?}"
    );
    body.split_terminator("\n\n")
        .filter(|event| !event.starts_with(':'))
        .map(|event| parse_event(event).unwrap_or_else(|| panic!("not an event: {event:?}")))
        .collect()
}

/// One event block (without its blank line): `None` for a comment; panics on anything the
/// original frontend could not read.
pub fn parse_event(block: &str) -> Option<Value> {
    if block.starts_with(':') {
        return None;
    }
    let mut lines = block.split('\n');
    let name = lines
        .next()
        .and_then(|line| line.strip_prefix("event: "))
        .unwrap_or_else(|| panic!("not an `event: ` line first: {block:?}"));
    let cursor = (name == "chunk").then(|| {
        let line = lines.next().unwrap_or_default();
        let id = line
            .strip_prefix("id: ")
            .unwrap_or_else(|| panic!("a chunk without its `id: ` line: {block:?}"));
        id.parse::<u64>()
            .unwrap_or_else(|_| panic!("a chunk id that is not a cursor: {block:?}"))
    });
    let data = lines.next().unwrap_or_default();
    assert!(
        lines.next().is_none(),
        "data spans several lines: {block:?}"
    );
    let json = data
        .strip_prefix("data: ")
        .unwrap_or_else(|| panic!("not a `data: ` line: {block:?}"));
    let mut value: Value = serde_json::from_str(json).unwrap();
    let field = match name {
        "started" => "session_id",
        "chunk" => "chunk",
        "done" => "done",
        "error" => "error",
        other => panic!("unknown event name {other:?}"),
    };
    assert!(
        value.get(field).is_some(),
        "{name} event without {field}: {value}"
    );
    if let Some(cursor) = cursor {
        value["id"] = Value::from(cursor);
    }
    Some(value)
}
