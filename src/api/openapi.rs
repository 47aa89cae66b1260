//! Completes the OpenAPI document generated from the route annotations with
//! what every operation shares, so each one lists exactly what the server
//! can answer:
//!
//! - security: operations that do not opt out (`security(())`) accept a
//!   bearer token (personal API token or session JWT) or the session
//!   cookie; on a cookie-authenticated write the CSRF header is required too;
//! - the error statuses that come from shared machinery rather than from the
//!   handler: 401/403 from authentication, 400/413/415/422 from a JSON body,
//!   400 from a query string, 404 from a path segment that names nothing,
//!   503 while the database is unreachable;
//! - every error response carries the `ErrorBody` schema, and every
//!   response has a description.
//!
//! - the configured limits on one-line fields (titles, token names, version
//!   labels) and tags, which are not known when the annotations are compiled.
//!
//! The work is done on the JSON form of the document, then read back.

use serde_json::{Map, Value, json};

use crate::api::validate::VISIBLE_PATTERN;
use crate::auth::{CSRF_HEADER, SESSION_COOKIE};
use crate::config::Limits;

/// Name of the bearer security scheme.
pub const BEARER: &str = "bearer";
/// Name of the session-cookie security scheme.
pub const COOKIE: &str = "session_cookie";
/// Name of the CSRF-header security scheme (with the cookie, on writes).
pub const CSRF: &str = "csrf_header";

/// Operations that never touch the database.
const NO_DATABASE: &[&str] = &["/healthz", "/metrics", "/api/auth/logout"];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// The finished document for a server with these limits.
pub fn complete(doc: utoipa::openapi::OpenApi, limits: &Limits) -> utoipa::openapi::OpenApi {
    let mut value = serde_json::to_value(&doc).unwrap_or(Value::Null);
    complete_json(&mut value);
    constrain(&mut value, limits);
    match serde_json::from_value(value) {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "the completed OpenAPI document does not read back");
            doc
        }
    }
}

/// The property `prop` of the component schema `name`, if there is one.
fn property<'a>(doc: &'a mut Value, name: &str, prop: &str) -> Option<&'a mut Map<String, Value>> {
    doc.get_mut("components")?
        .get_mut("schemas")?
        .get_mut(name)?
        .get_mut("properties")?
        .get_mut(prop)?
        .as_object_mut()
}

/// Lengths and counts the server enforces from its configuration.
fn constrain(doc: &mut Value, limits: &Limits) {
    // One-line values that must keep something visible after cleaning.
    for (schema, prop) in [
        ("CreateDocument", "title"),
        ("PatchDocument", "title"),
        ("CreateToken", "name"),
    ] {
        if let Some(p) = property(doc, schema, prop) {
            p.insert("maxLength".into(), json!(limits.max_title_chars));
            p.insert("pattern".into(), json!(VISIBLE_PATTERN));
        }
    }
    if let Some(p) = property(doc, "CreateVersion", "label") {
        p.insert("maxLength".into(), json!(limits.max_title_chars));
    }
    for schema in ["CreateDocument", "PatchDocument"] {
        if let Some(p) = property(doc, schema, "tags") {
            p.insert("maxItems".into(), json!(limits.max_tags));
            p.insert(
                "items".into(),
                json!({ "type": "string", "maxLength": limits.max_tag_chars }),
            );
        }
    }
}

/// The limit-independent part of [`complete`], on the JSON form.
pub fn complete_json(doc: &mut Value) {
    doc["openapi"] = json!("3.1.0");
    let schemes = &mut doc["components"]["securitySchemes"];
    if !schemes.is_object() {
        *schemes = json!({});
    }
    schemes[BEARER] = json!({
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "personal API token (qpat_…) or session JWT",
        "description": "`Authorization: Bearer <token>`: a personal API token or the token returned by login."
    });
    schemes[COOKIE] = json!({
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The session cookie set by login."
    });
    schemes[CSRF] = json!({
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "The `csrf_token` of the login response; required with the session cookie on every request that changes state."
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    binary_as_string(paths);
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) {
                complete_operation(path, method, op);
            }
        }
    }
}

/// Binary bodies (`application/octet-stream`) are one string of bytes, not
/// an array of numbers.
fn binary_as_string(paths: &mut Map<String, Value>) {
    fn visit(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if key == "application/octet-stream" {
                        child["schema"] = json!({ "type": "string", "format": "binary" });
                    } else {
                        visit(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(visit),
            _ => {}
        }
    }
    paths.values_mut().for_each(visit);
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    })
}

/// Adds `status` unless the operation already documents it.
fn add(responses: &mut Map<String, Value>, status: u16, description: &str) {
    responses
        .entry(status.to_string())
        .or_insert_with(|| error_response(description));
}

fn complete_operation(path: &str, method: &str, op: &mut Map<String, Value>) {
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| {
            reqs.iter()
                .all(|r| r.as_object().is_some_and(Map::is_empty))
        });
    let writes = !matches!(method, "get" | "head" | "options");
    if public {
        op.remove("security");
    } else {
        let cookie = if writes {
            json!({ COOKIE: [], CSRF: [] })
        } else {
            json!({ COOKIE: [] })
        };
        op.insert("security".into(), json!([{ BEARER: [] }, cookie]));
    }
    let params: Vec<(String, String)> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p["in"].as_str().unwrap_or_default().to_string(),
                        p["name"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let json_body = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(|c| c.get("application/json"))
        .is_some();
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    if !public {
        add(
            responses,
            401,
            "no credentials, or they are invalid, expired or revoked",
        );
        add(
            responses,
            403,
            "the credentials may not do this: a token scoped to one document, a read-only token on a write, or a cookie-authenticated write without the CSRF header",
        );
    }
    if json_body {
        add(
            responses,
            400,
            "the body is not well-formed JSON, or a parameter is malformed",
        );
        add(responses, 413, "the body is larger than the limit");
        add(
            responses,
            415,
            "the body is not sent as `Content-Type: application/json`",
        );
        add(
            responses,
            422,
            "the body does not have the documented shape or its values are out of range",
        );
    }
    if params.iter().any(|(place, _)| place == "query") {
        add(
            responses,
            400,
            "a query parameter is malformed or has an unknown value",
        );
    }
    if params.iter().any(|(place, _)| place == "path") {
        add(
            responses,
            404,
            "nothing of that id, or not visible to the caller; also a path segment that cannot name anything (e.g. a version number that is not a number)",
        );
    }
    if !NO_DATABASE.contains(&path) {
        add(
            responses,
            503,
            "the database (or a bounded worker pool) is unavailable; retry after `Retry-After` seconds",
        );
    }
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or(0);
        let described = response
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.is_empty());
        if !described {
            let reason = axum::http::StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("response");
            response.insert("description".into(), json!(reason));
        }
        if code >= 400 && !response.contains_key("content") {
            response.insert("content".into(), error_response("")["content"].clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_get_security_and_shared_errors() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "paths": {
                "/api/x/{id}": {
                    "patch": {
                        "parameters": [{ "name": "id", "in": "path", "required": true }],
                        "requestBody": { "content": { "application/json": {} } },
                        "responses": { "200": { "description": "" } }
                    }
                },
                "/healthz": { "get": { "security": [{}], "responses": { "200": {} } } }
            }
        });
        complete_json(&mut doc);
        let op = &doc["paths"]["/api/x/{id}"]["patch"];
        for status in ["400", "401", "403", "404", "413", "415", "422", "503"] {
            assert!(op["responses"][status]["content"].is_object(), "{status}");
        }
        assert_eq!(op["responses"]["200"]["description"], "OK");
        assert_eq!(op["security"][1][CSRF], json!([]));
        let health = &doc["paths"]["/healthz"]["get"];
        assert!(health.get("security").is_none());
        assert!(health["responses"].get("401").is_none());
        assert!(health["responses"].get("503").is_none());
        assert!(doc["components"]["securitySchemes"][BEARER].is_object());
    }
}
