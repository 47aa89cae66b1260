//! What an authenticated token may be used for, in one place.
//!
//! A document-scoped token opens the WebSocket of its own document and
//! nothing else. A read-only API token may read through the REST API and
//! open documents, but every connection it opens is capped at viewer,
//! whatever the user's role. A delivery token (scope `delivery`) reads the
//! delivery API and nothing else.

use super::{AuthError, Claims};
use crate::store::Role;

/// What a request wants to do with its token.
#[derive(Clone, Copy, Debug)]
pub enum Access<'a> {
    /// A REST call; `writes` when it changes state (not GET/HEAD/OPTIONS).
    Api { writes: bool },
    /// The live connection of this document.
    Document(&'a str),
    /// A read of the delivery API (published revisions).
    Delivery,
}

/// `Ok` when `claims` may be used for `access`.
pub fn authorize(claims: &Claims, access: Access<'_>) -> Result<(), AuthError> {
    match access {
        // A document-scoped token is for its socket only; a delivery token
        // for the delivery API only.
        Access::Delivery if claims.doc.is_some() => Err(AuthError::WrongScope),
        Access::Delivery => Ok(()),
        _ if claims.delivery => Err(AuthError::WrongScope),
        Access::Api { .. } if claims.doc.is_some() => Err(AuthError::WrongScope),
        Access::Api { writes: true } if claims.ro => Err(AuthError::ReadOnly),
        Access::Api { .. } => Ok(()),
        Access::Document(doc_id) if claims.doc.as_deref().is_some_and(|d| d != doc_id) => {
            Err(AuthError::OtherDocument)
        }
        Access::Document(_) => Ok(()),
    }
}

/// The highest role a connection opened with `claims` may ever have: a
/// read-only token edits nothing, and the cap stays with the connection
/// through every later role change.
pub fn role_cap(claims: &Claims) -> Role {
    if claims.ro { Role::Viewer } else { Role::Owner }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(doc: Option<&str>, ro: bool) -> Claims {
        Claims {
            sub: "u".into(),
            name: "n".into(),
            iat: 0,
            exp: 0,
            csrf: String::new(),
            doc: doc.map(str::to_string),
            sid: None,
            ro,
            tid: None,
            delivery: false,
        }
    }

    #[test]
    fn scoped_tokens_open_their_document_only() {
        let c = claims(Some("d1"), false);
        assert!(authorize(&c, Access::Document("d1")).is_ok());
        assert!(matches!(
            authorize(&c, Access::Document("d2")),
            Err(AuthError::OtherDocument)
        ));
        assert!(matches!(
            authorize(&c, Access::Api { writes: false }),
            Err(AuthError::WrongScope)
        ));
    }

    #[test]
    fn delivery_tokens_read_the_delivery_api_only() {
        let mut c = claims(None, false);
        c.delivery = true;
        assert!(authorize(&c, Access::Delivery).is_ok());
        for access in [
            Access::Api { writes: false },
            Access::Api { writes: true },
            Access::Document("d1"),
        ] {
            assert!(matches!(authorize(&c, access), Err(AuthError::WrongScope)));
        }
        // every other identity may read the delivery API too
        assert!(authorize(&claims(None, true), Access::Delivery).is_ok());
        assert!(authorize(&claims(Some("d1"), false), Access::Delivery).is_err());
    }

    #[test]
    fn read_only_tokens_read_and_are_capped() {
        let c = claims(None, true);
        assert!(authorize(&c, Access::Api { writes: false }).is_ok());
        assert!(matches!(
            authorize(&c, Access::Api { writes: true }),
            Err(AuthError::ReadOnly)
        ));
        assert!(authorize(&c, Access::Document("d")).is_ok());
        assert_eq!(role_cap(&c), Role::Viewer);
        assert_eq!(role_cap(&claims(None, false)), Role::Owner);
    }
}
