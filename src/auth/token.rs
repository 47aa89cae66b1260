//! Session tokens: HS256 JWTs carrying the user id, username, a CSRF token
//! (for the cookie double-submit check) and an optional document scope.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::util::now_ms;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Username at issue time (display only; ids are authoritative).
    pub name: String,
    pub iat: u64,
    pub exp: u64,
    /// CSRF token bound to this session (double-submit check).
    #[serde(default)]
    pub csrf: String,
    /// When set, the token only opens this document (document-scoped token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The server-side session this token belongs to (session tokens and
    /// the document-scoped tokens issued from a session); revoking the
    /// session refuses the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Read-only identity (a read-only personal API token): no writes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ro: bool,
    /// The personal API token's id when the identity came from one (never
    /// part of a JWT): live sockets opened with it close when it is revoked.
    #[serde(skip)]
    pub tid: Option<String>,
    /// A personal API token with the `delivery` scope: the delivery API
    /// only (never part of a JWT).
    #[serde(skip)]
    pub delivery: bool,
}

/// Signing and verification keys derived from the configured secret.
#[derive(Clone)]
pub struct TokenKeys {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
        }
    }

    /// Issues a token of session `sid` for `user` valid for `ttl_secs`,
    /// optionally scoped to a document.
    pub fn issue(
        &self,
        user_id: &str,
        username: &str,
        sid: &str,
        ttl_secs: u64,
        doc: Option<String>,
    ) -> Result<(String, Claims), AuthError> {
        let now = (now_ms() / 1000).max(0) as u64;
        let claims = Claims {
            sub: user_id.to_string(),
            name: username.to_string(),
            iat: now,
            exp: now + ttl_secs,
            csrf: random_token(),
            doc,
            sid: Some(sid.to_string()),
            ro: false,
            tid: None,
            delivery: false,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|_| AuthError::InvalidToken)?;
        Ok((token, claims))
    }

    /// Verifies signature and expiry (no leeway: an expired token is refused).
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.dec, &validation)
            .map(|d| d.claims)
            .map_err(|_| AuthError::InvalidToken)
    }
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Prefix of personal API tokens (`qpat_…`), told apart from session JWTs.
pub const API_TOKEN_PREFIX: &str = "qpat_";

/// A new personal API token secret.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_token())
}

/// What the database stores of an API token.
pub fn api_token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Equality whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_and_verify_round_trip() {
        let keys = TokenKeys::new(b"secret");
        let (t, c) = keys.issue("u1", "alice", "s1", 60, None).expect("issue");
        assert_eq!(keys.verify(&t).expect("verify"), c);
        assert!(TokenKeys::new(b"other").verify(&t).is_err());
        assert!(keys.verify("garbage").is_err());
    }

    #[test]
    fn expired_token_is_refused() {
        let keys = TokenKeys::new(b"secret");
        let now = (now_ms() / 1000) as u64;
        let claims = Claims {
            sub: "u".into(),
            name: "n".into(),
            iat: now - 100,
            exp: now - 10,
            csrf: String::new(),
            doc: None,
            sid: None,
            ro: false,
            tid: None,
            delivery: false,
        };
        let t =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.enc).expect("enc");
        assert!(keys.verify(&t).is_err());
    }
}
