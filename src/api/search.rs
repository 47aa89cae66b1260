//! Full-text search over titles and current content (or saved versions),
//! ranked, with highlighted snippets, limited to what the caller can read.
//! Freshness: the searchable text of an open document is refreshed a few
//! seconds after edits (and at every compaction); titles immediately.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::documents::DocumentView;
use super::extract::ApiQuery;
use crate::api::error::ApiResult;
use crate::api::extract::AuthUser;
use crate::state::AppState;
use crate::store::{SearchQuery, SearchScope, search::words};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// What a search looks in.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScopeParam {
    #[default]
    Documents,
    Versions,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    pub q: String,
    /// `documents` (default) or `versions`.
    #[param(inline)]
    pub scope: Option<ScopeParam>,
    /// Page size; clamped to 1–100 (default 20).
    pub limit: Option<i64>,
    /// Items to skip; negative counts as 0.
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionRef {
    pub number: i64,
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchItem {
    pub document: DocumentView,
    /// HTML-escaped text; only `<mark>…</mark>` is markup.
    pub snippet: String,
    pub score: f64,
    /// Set for `scope=versions`.
    pub version: Option<VersionRef>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SearchItem>,
    pub total: i64,
}

/// Full-text search, ranked (title matches above body matches).
#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults)))]
async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let scope = match p.scope.unwrap_or_default() {
        ScopeParam::Documents => SearchScope::Documents,
        ScopeParam::Versions => SearchScope::Versions,
    };
    let query = SearchQuery {
        words: words(&p.q),
        scope,
        limit: p.limit.unwrap_or(20).clamp(1, 100),
        offset: p.offset.unwrap_or(0).max(0),
    };
    let page = state.store.search(&user.id, &query).await?;
    let items = page
        .items
        .into_iter()
        .map(|h| SearchItem {
            snippet: highlight(&h.snippet),
            score: h.score,
            version: h.version.map(|v| VersionRef {
                number: v.number,
                label: v.label,
            }),
            document: h.document.into(),
        })
        .collect();
    Ok(Json(SearchResults {
        items,
        total: page.total,
    }))
}

/// Escapes HTML, then turns the store's match markers into `<mark>`.
pub fn highlight(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '\u{1}' => out.push_str("<mark>"),
            '\u{2}' => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_escapes_everything_but_marks() {
        assert_eq!(
            highlight("a <b>\u{1}word\u{2} & 'x'"),
            "a &lt;b&gt;<mark>word</mark> &amp; &#39;x&#39;"
        );
    }
}
