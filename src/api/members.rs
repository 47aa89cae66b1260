//! Sharing: list members, set a member's role, remove a member (owner only).
//! Role changes take effect on live WebSocket connections at once, on
//! every instance, and are announced (see [`super::announce`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::documents::{document_with_role, visible_document};
use super::extract::{ApiJson, ApiPath};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::api::extract::AuthUser;
use crate::state::AppState;
use crate::store::{NewNotification, NotificationKind, Role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(set_member, remove_member))
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub username: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub members: Vec<MemberView>,
}

/// Members of a document and their roles.
#[utoipa::path(get, path = "/api/documents/{id}/members", tag = "sharing",
    params(("id" = String, Path)), responses((status = 200, body = MemberList)))]
async fn list_members(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<MemberList>> {
    visible_document(&state, &id, &user).await?;
    let members = state.store.members(&id).await?;
    Ok(Json(MemberList {
        members: members
            .into_iter()
            .map(|m| MemberView {
                user_id: m.user_id,
                username: m.username,
                role: m.role,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct SetMember {
    pub role: Role,
}

/// Ensures the document keeps at least one owner after a change to `target`.
async fn keeps_an_owner(
    state: &AppState,
    doc_id: &str,
    target: &str,
    new_role: Option<Role>,
) -> ApiResult<()> {
    if new_role == Some(Role::Owner) {
        return Ok(());
    }
    let members = state.store.members(doc_id).await?;
    let other_owners = members
        .iter()
        .filter(|m| m.role == Role::Owner && m.user_id != target)
        .count();
    if other_owners == 0 {
        return Err(ApiError::Validation(
            "a document must keep at least one owner".into(),
        ));
    }
    Ok(())
}

/// Share: give `user` (id or username) a role (owner only). A `user` that
/// names nobody is 404, like one that is not shaped like an id or username.
#[utoipa::path(put, path = "/api/documents/{id}/members/{user}", tag = "sharing", request_body = SetMember,
    params(("id" = String, Path), ("user" = String, Path, description = "user id or username")),
    responses((status = 200, body = MemberView),
        (status = 403, description = "only an owner may share", body = ErrorBody),
        (status = 422, description = "the change would leave the document without an owner, or the body is invalid", body = ErrorBody)))]
async fn set_member(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, target)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<SetMember>,
) -> ApiResult<Json<MemberView>> {
    validate::path_id(&id)?;
    validate::path_user(&target)?;
    document_with_role(&state, &id, &user, Role::Owner).await?;
    let target = state
        .store
        .find_user(&target)
        .await?
        .ok_or(ApiError::NotFound)?;
    keeps_an_owner(&state, &id, &target.id, Some(req.role)).await?;
    let before = state.store.role_of(&id, &target.id).await?;
    state
        .store
        .set_member(&id, &target.id, req.role, &user.id)
        .await?;
    super::announce::membership_changed(&state, &id, &target.id, before, Some(req.role)).await;
    if before.is_none() && target.id != user.id {
        let shared = NewNotification {
            user_id: target.id.clone(),
            kind: NotificationKind::Shared,
            document_id: id.clone(),
            thread_id: None,
            comment_id: None,
            actor_id: user.id.clone(),
        };
        super::announce::notify(&state, &[shared]).await;
    }
    Ok(Json(MemberView {
        user_id: target.id,
        username: target.username,
        role: req.role,
    }))
}

/// Remove a member (owner only).
#[utoipa::path(delete, path = "/api/documents/{id}/members/{user}", tag = "sharing",
    params(("id" = String, Path), ("user" = String, Path, description = "user id or username")),
    responses((status = 204, description = "removed"),
        (status = 403, description = "only an owner may remove members", body = ErrorBody),
        (status = 422, description = "the change would leave the document without an owner", body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, target)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    validate::path_id(&id)?;
    validate::path_user(&target)?;
    document_with_role(&state, &id, &user, Role::Owner).await?;
    let target = state
        .store
        .find_user(&target)
        .await?
        .ok_or(ApiError::NotFound)?;
    keeps_an_owner(&state, &id, &target.id, None).await?;
    let before = state.store.role_of(&id, &target.id).await?;
    if !state.store.remove_member(&id, &target.id, &user.id).await? {
        return Err(ApiError::NotFound);
    }
    super::announce::membership_changed(&state, &id, &target.id, before, None).await;
    Ok(StatusCode::NO_CONTENT)
}
