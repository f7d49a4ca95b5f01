//! gzip for what the browser asks for often and in bulk: the UI's files (packed once, at
//! startup) and the long JSON lists and chats ([`Packed`], packed per response). Streams are
//! never packed: a gzip stream holds small writes back until it has enough to compress, and
//! an answer's words must not wait for that.

use std::io::Write;

use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use flate2::Compression;
use serde::Serialize;

use crate::error::ApiError;

/// Below this a JSON body goes as is: packing would save less than it costs.
const PACK_FROM_BYTES: usize = 1024;

/// Whether the request takes `gzip` (named, or `*`, and not with `q=0`).
pub fn accepts_gzip(request: &HttpRequest) -> bool {
    let Some(accepted) = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    accepted.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param
                .strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

pub fn gzip(body: &[u8], level: Compression) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), level);
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// A JSON body, gzipped (at the fastest level: it is made per request) when the client takes
/// gzip and the body is long enough to gain from it.
pub struct Packed<T>(pub T);

impl<T: Serialize> Responder for Packed<T> {
    type Body = BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let Ok(body) = serde_json::to_vec(&self.0) else {
            return ApiError::Internal.error_response();
        };
        let mut response = HttpResponse::Ok();
        response
            .content_type("application/json")
            .insert_header((header::VARY, "accept-encoding"));
        let packed = (body.len() >= PACK_FROM_BYTES && accepts_gzip(request))
            .then(|| gzip(&body, Compression::fast()))
            .flatten();
        match packed {
            Some(packed) => response
                .insert_header((header::CONTENT_ENCODING, "gzip"))
                .body(packed),
            None => response.body(body),
        }
    }
}

/// `bytes` as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The items of every `name` header of a request, split at `separator` and trimmed (as lists
/// like `If-None-Match` and `Cookie` are written).
pub fn header_items(
    headers: &header::HeaderMap,
    name: header::HeaderName,
    separator: char,
) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .filter_map(|value| value.to_str().ok())
        .flat_map(move |value| value.split(separator))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::body::MessageBody;
    use actix_web::test::TestRequest;

    use super::*;

    fn respond(items: usize, accept: Option<&str>) -> (Option<String>, Vec<u8>) {
        let mut request = TestRequest::default();
        if let Some(accept) = accept {
            request = request.insert_header((header::ACCEPT_ENCODING, accept));
        }
        let list: Vec<String> = (0..items).map(|i| format!("chat number {i}")).collect();
        let response = Packed(list).respond_to(&request.to_http_request());
        let encoding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let body = response
            .into_body()
            .try_into_bytes()
            .unwrap_or_default()
            .to_vec();
        (encoding, body)
    }

    fn list(items: usize) -> Vec<u8> {
        let list: Vec<String> = (0..items).map(|i| format!("chat number {i}")).collect();
        serde_json::to_vec(&list).unwrap()
    }

    #[test]
    fn a_long_body_is_gzipped_for_a_client_that_takes_it_and_reads_back_the_same() {
        let (encoding, body) = respond(500, Some("gzip, deflate, br"));
        assert_eq!(encoding.as_deref(), Some("gzip"));
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, list(500));
        assert!(
            body.len() * 4 < unpacked.len(),
            "{} of {}",
            body.len(),
            unpacked.len()
        );
    }

    #[test]
    fn a_short_body_or_a_client_without_gzip_gets_plain_json() {
        for (items, accept) in [
            (3, Some("gzip")),
            (500, None),
            (500, Some("gzip;q=0")),
            (500, Some("br")),
        ] {
            let (encoding, body) = respond(items, accept);
            assert_eq!(encoding, None, "{items} {accept:?}");
            assert_eq!(body, list(items));
        }
        for accept in ["*", "GZIP;q=0.5", "identity, gzip"] {
            let request = TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, accept))
                .to_http_request();
            assert!(accepts_gzip(&request), "{accept}");
        }
    }
}
