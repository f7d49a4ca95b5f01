//! Where share links get their secrets.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ShareToken;
use domain::ports::{NoRandomness, TokenSource};

/// The operating system's CSPRNG.
pub struct RandomTokens;

impl TokenSource for RandomTokens {
    fn new_token(&self) -> Result<ShareToken, NoRandomness> {
        let mut bytes = [0_u8; ShareToken::BYTES];
        getrandom::fill(&mut bytes).map_err(|error| NoRandomness(error.to_string().into()))?;
        ShareToken::parse(&URL_SAFE_NO_PAD.encode(bytes))
            .ok_or_else(|| NoRandomness("the bytes did not encode as a token".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_well_formed_and_never_repeat() {
        let tokens: std::collections::HashSet<String> = (0..1_000)
            .map(|_| RandomTokens.new_token().unwrap().as_str().to_owned())
            .collect();
        assert_eq!(tokens.len(), 1_000);
    }
}
