//! Read-only links to a chat: who holds the token reads a copy of the chat as it was when
//! the link was made, and nothing else.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::chat::ChatMessage;

/// The secret part of a share link: [`ShareToken::BYTES`] bytes from a CSPRNG, written in
/// URL-safe base64 without padding. Only a digest of it is ever stored, so a copy of the
/// database opens no link.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareToken(String);

impl ShareToken {
    /// 256 bits: far past guessing, at 43 characters of URL.
    pub const BYTES: usize = 32;
    /// Its length as written.
    pub const LENGTH: usize = 43;

    /// The token as written in a link, or `None` when `text` cannot be one: a malformed
    /// token is then turned away like an unknown one, without asking the store.
    pub fn parse(text: &str) -> Option<Self> {
        let shaped = text.len() == Self::LENGTH
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        shaped.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Never printed: logs and panics must not carry a working link.
impl std::fmt::Debug for ShareToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShareToken(…)")
    }
}

/// What a link shows: the chat's title and its finished messages when the link was made.
/// An answer still being written then is left out (it was not an answer yet).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedChat {
    /// As it was then: a later rename does not show.
    pub title: String,
    /// When the link was made.
    pub shared_at: DateTime<Utc>,
    /// In the chat's order.
    pub messages: Vec<ChatMessage>,
}

/// A link made for a chat (its token is shown once, when it is made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatShare {
    /// Names the link for listing and revoking; it opens nothing.
    pub id: Uuid,
    pub session_id: Uuid,
    /// When the copy was taken.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_43_url_safe_characters_and_is_never_printed() {
        let text = "aB3-_".repeat(6) + "abcdefghijklm";
        assert_eq!(text.len(), ShareToken::LENGTH);
        let token = ShareToken::parse(&text).expect("a well-formed token");
        assert_eq!(token.as_str(), text);
        assert!(!format!("{token:?}").contains("aB3"));
        for bad in [
            "",
            &text[1..],
            &format!("{text}a"),
            &text.replacen('a', "+", 1),
            &text.replacen('a', "=", 1),
            &text.replacen('a', "é", 1)[..ShareToken::LENGTH],
        ] {
            assert_eq!(ShareToken::parse(bad), None, "{bad:?}");
        }
    }
}
