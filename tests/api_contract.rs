//! The API contract through HTTP on both databases: whatever a client gets
//! wrong (a path segment that does not parse, a number too large, a bad
//! query value, malformed JSON, no content type, a method a route does not
//! have, an unknown route, a plain GET on the WebSocket endpoint) answers a
//! 4xx JSON error `{ "error", "message" }`; and the served OpenAPI document
//! is consistent: path parameters are in their path, every response is
//! described, every authenticated operation lists 401.

mod common;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use common::{Api, TestServer};

/// Sends `req` and asserts a 4xx JSON error; returns its status and code.
async fn json_error(what: &str, req: RequestBuilder) -> (StatusCode, String) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    assert!(
        status.is_client_error(),
        "{what}: expected 4xx, got {status}: {text}"
    );
    assert!(
        content_type.starts_with("application/json"),
        "{what}: content type {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: {text}"));
    assert!(body["message"].is_string(), "{what}: {body}");
    let code = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no error code: {body}"))
        .to_string();
    (status, code)
}

fn authed(api: &Api, method: Method, path: &str) -> RequestBuilder {
    api.client
        .request(method, format!("{}{}", api.base, path))
        .bearer_auth(&api.token)
}

async fn malformed_input_is_a_json_error(s: &TestServer) {
    let api = s.user("contract").await;
    let doc = api.create_doc("Contract").await;
    let id = doc["id"].as_str().expect("id");
    let (status, _) = api
        .post(&format!("/api/documents/{id}/versions"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    for path in [
        format!("/api/documents/{id}/versions/abc"),
        format!("/api/documents/{id}/versions/9223372036854775808"),
        format!("/api/documents/{id}/versions/1.5"),
        format!("/api/documents/{id}/versions/x/diff/1"),
        format!("/api/documents/{id}/versions/1/diff/x"),
        format!("/api/documents/{id}/versions/1/diff/99999999999999999999"),
        "/api/documents/not-an-id/versions/1".to_string(),
    ] {
        json_error(&path, authed(&api, Method::GET, &path)).await;
    }
    let restore = format!("/api/documents/{id}/restore/abc");
    json_error(&restore, authed(&api, Method::POST, &restore)).await;

    for query in [
        "/api/documents?limit=abc",
        "/api/documents?limit=99999999999999999999",
        "/api/documents?sort=nonsense",
        "/api/documents?order=sideways",
        "/api/documents?status=unknown",
        "/api/search?q=x&scope=everything",
        "/api/search",
    ] {
        let (status, code) = json_error(query, authed(&api, Method::GET, query)).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{query}"
        );
    }
    let content = format!("/api/documents/{id}/content?format=pdf");
    json_error(&content, authed(&api, Method::GET, &content)).await;

    // Bodies: malformed JSON, missing or wrong content type, wrong shape.
    let (status, code) = json_error(
        "malformed JSON",
        authed(&api, Method::POST, "/api/documents")
            .header("content-type", "application/json")
            .body("{\"title\": "),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, code) = json_error(
        "no content type",
        authed(&api, Method::POST, "/api/documents").body("{\"title\":\"x\"}"),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    json_error(
        "text/plain body",
        authed(&api, Method::POST, "/api/documents")
            .header("content-type", "text/plain")
            .body("{\"title\":\"x\"}"),
    )
    .await;
    let (status, _) = json_error(
        "unknown body_format",
        authed(&api, Method::POST, "/api/documents")
            .json(&json!({ "title": "x", "body": "y", "body_format": "rtf" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // PATCH without a base version: 428.
    let (status, code) = json_error(
        "patch without expected_version",
        authed(&api, Method::PATCH, &format!("/api/documents/{id}")).json(&json!({ "title": "y" })),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
    );
    // Sharing with nobody: 404.
    let (status, _) = json_error(
        "share with an unknown user",
        authed(
            &api,
            Method::PUT,
            &format!("/api/documents/{id}/members/nobody-here"),
        )
        .json(&json!({ "role": "viewer" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Token names are named as such.
    let (status, _) = api.post("/api/auth/tokens", json!({ "name": "  " })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, body) = api.post("/api/auth/tokens", json!({ "name": "" })).await;
    assert!(
        body["message"].as_str().unwrap_or("").starts_with("name"),
        "{body}"
    );

    // Routing: wrong method, unknown routes.
    let (status, code) =
        json_error("wrong method", authed(&api, Method::PUT, "/api/documents")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    for path in ["/api/nothing-here", "/api", "/api/documents/x/y/z/w"] {
        let (status, code) = json_error(path, authed(&api, Method::GET, path)).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }

    // The WebSocket endpoint without an upgrade: a JSON 400 (401 without
    // credentials).
    let ws = format!("/ws/doc/{id}");
    let (status, _) = json_error("plain GET on /ws", authed(&api, Method::GET, &ws)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = json_error(
        "plain GET on /ws without credentials",
        api.client.get(s.url(&ws)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    json_error("POST on /ws", authed(&api, Method::POST, &ws)).await;
    json_error(
        "bad schema value on /ws",
        authed(&api, Method::GET, &format!("{ws}?schema=-1")),
    )
    .await;
}

on_both_backends!(malformed_input, crate::malformed_input_is_a_json_error);

/// The `{name}`s of a path template.
fn template_names(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

async fn served_openapi_is_consistent(s: &TestServer) {
    let doc: Value = reqwest::get(s.url("/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    assert_eq!(schemes["session_cookie"]["in"], "cookie", "{schemes}");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        let names = template_names(path);
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let what = format!("{method} {path}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for p in &params {
                let name = p["name"].as_str().unwrap_or("");
                if p["in"] == "path" {
                    assert!(
                        names.iter().any(|n| n == name),
                        "{what}: path parameter {name}"
                    );
                    assert_eq!(p["required"], true, "{what}: {name}");
                }
            }
            for name in &names {
                assert!(
                    params
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == *name),
                    "{what}: {{{name}}} is not declared"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            for (status, response) in responses {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{what} {status}: no description"
                );
            }
            let authenticated = op["security"].as_array().is_some_and(|reqs| {
                reqs.iter()
                    .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            if authenticated {
                assert!(responses.contains_key("401"), "{what}: no 401");
            }
        }
    }
    assert!(operations > 20, "{operations} operations");
    // The ones that need no credentials say so.
    assert!(paths["/api/auth/login"]["post"].get("security").is_none());
    assert!(paths["/api/documents"]["get"]["security"].is_array());
}

on_both_backends!(openapi_document, crate::served_openapi_is_consistent);
