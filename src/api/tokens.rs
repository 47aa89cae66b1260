//! Personal API tokens for programmatic access: named, read-only or
//! read-write, optionally expiring, revocable; the secret is shown once and
//! stored as a hash. Use it as `Authorization: Bearer qpat_…`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{ApiJson, ApiPath};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::api::extract::AuthUser;
use crate::auth::token::{api_token_hash, new_api_token};
use crate::state::AppState;
use crate::store::ApiToken;
use crate::util::{now_ms, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    pub name: String,
    /// Read-only tokens can call GET routes and open documents as a viewer.
    #[serde(default)]
    pub read_only: bool,
    /// Lifetime in days (none: until revoked); more than 3650 counts as 3650.
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "crate::api::extract::json_integer")]
    pub expires_in_days: Option<i64>,
    /// `["delivery"]`: the token reads the delivery API only (published
    /// revisions of the documents its owner is a member of) and gets 403
    /// everywhere else. None or empty: the whole API.
    #[serde(default)]
    pub scopes: Option<Vec<TokenScope>>,
}

/// What a personal API token is for, when not the whole API.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Delivery,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub read_only: bool,
    /// `["delivery"]` for a delivery token; empty for the whole API.
    pub scopes: Vec<TokenScope>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            read_only: t.read_only,
            scopes: if t.delivery_only {
                vec![TokenScope::Delivery]
            } else {
                Vec::new()
            },
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub meta: TokenView,
    /// The secret: shown only in this response.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// Create a personal API token (the secret is returned once).
#[utoipa::path(post, path = "/api/auth/tokens", tag = "auth", request_body = CreateToken,
    responses((status = 201, body = CreatedToken),
        (status = 403, description = "a read-only token cannot create tokens", body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<impl IntoResponse> {
    if user.claims.ro {
        return Err(ApiError::Forbidden(
            "a read-only token cannot create tokens".into(),
        ));
    }
    let name = validate::line("name", &req.name, state.config.limits.max_title_chars)?;
    let expires_at = match req.expires_in_days {
        Some(..=0) => {
            return Err(ApiError::Validation(
                "expires_in_days must be at least 1".into(),
            ));
        }
        Some(days) => Some(now_ms() + days.min(3650) * 86_400_000),
        None => None,
    };
    let secret = new_api_token();
    let token = state
        .store
        .create_api_token(
            &user.id,
            &name,
            &api_token_hash(&secret),
            req.read_only,
            req.scopes
                .as_deref()
                .is_some_and(|s| s.contains(&TokenScope::Delivery)),
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            meta: token.into(),
            token: secret,
        }),
    ))
}

/// Your tokens (never the secrets).
#[utoipa::path(get, path = "/api/auth/tokens", tag = "auth", responses((status = 200, body = TokenList)))]
async fn list_tokens(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<TokenList>> {
    let items = state
        .store
        .api_tokens(&user.id)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    Ok(Json(TokenList { items }))
}

/// Revoke a token.
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path)), responses((status = 204, description = "revoked")))]
async fn revoke_token(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    validate::path_id(&id)?;
    if state.store.revoke_api_token(&user.id, &id).await? {
        // Live sockets opened with it close at once here (4401); other
        // instances find out at their next permission re-check.
        state.hub.revoke_credential(&id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
