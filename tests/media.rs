//! Images through the public API, on both databases: an upload is typed by
//! its bytes (not its name or declared type) with its pixel size, SVG and
//! HTML are refused (415), an over-limit file gets 413, the same bytes give
//! the same image, only editors upload, only members (and, while a public
//! published revision shows it, anyone) see it, with `nosniff` and
//! immutable caching; trashing hides it and purging deletes it.

mod common;

use std::time::Duration;

use common::yclient::YClient;
use common::{Api, Db, TestServer, id};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};
use yrs::{WriteTxn, Xml, XmlElementPrelim, XmlFragment};

/// A real 3×2 RGBA PNG.
const PNG_3X2: [u8; 74] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x9d, 0x74, 0x66,
    0x1a, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x86, 0x19, 0x90, 0x39, 0x00, 0x9b, 0x7e, 0x0b, 0xf5, 0x72, 0xb0, 0xb9, 0x3c, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A 5×4 GIF (header and logical screen are all that is read).
fn gif_5x4() -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&[5, 0, 4, 0, 0, 0, 0, 0x3b]);
    v
}

/// Uploads `bytes` as the raw body with `content_type`.
async fn upload_raw(
    api: &Api,
    doc: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> (StatusCode, Value) {
    let resp = api
        .client
        .post(format!("{}/api/documents/{doc}/media", api.base))
        .bearer_auth(&api.token)
        .header(CONTENT_TYPE, content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Uploads `bytes` as the file part `name` of a multipart form, after a
/// text field.
async fn upload_form(api: &Api, doc: &str, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n",
    );
    body.extend_from_slice(
        format!(
            "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&bytes);
    body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
    upload_raw(api, doc, body, "multipart/form-data; boundary=XBOUNDARYX").await
}

/// GET of a media URL as `who` (None: anonymous).
async fn fetch(s: &TestServer, url: &str, who: Option<&Api>) -> reqwest::Response {
    let mut req = s.browser().get(s.url(url));
    if let Some(api) = who {
        req = req.bearer_auth(&api.token);
    }
    req.send().await.expect("get media")
}

/// Puts an image node showing `src` into the document over the WebSocket.
async fn show_image(ws: &mut YClient, src: &str) {
    let src = src.to_string();
    ws.edit(move |txn, _| {
        let frag = txn.get_or_insert_xml_fragment("default");
        let len = frag.len(txn);
        let img = frag.insert(txn, len, XmlElementPrelim::empty("image"));
        img.insert_attribute(txn, "src", src);
        img.insert_attribute(txn, "alt", "a picture");
    })
    .await;
}

async fn upload_rules(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let dave = s.user("dave").await;
    let doc = id(&alice.create_doc("With pictures").await);
    alice.share(&doc, &bob.username, "editor").await;
    alice.share(&doc, &carol.username, "viewer").await;

    // A PNG declared as JPEG is a PNG, with its size.
    let (status, png) = upload_raw(&bob, &doc, PNG_3X2.to_vec(), "image/jpeg").await;
    assert_eq!(status, StatusCode::CREATED, "{png}");
    assert_eq!(png["content_type"], "image/png");
    assert_eq!(
        (png["width"].as_i64(), png["height"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(png["bytes"], PNG_3X2.len());
    let png_id = id(&png);
    assert_eq!(png["url"], format!("/api/media/{png_id}"));

    // The same bytes as a file named .jpg in a form: the same image.
    let (status, again) = upload_form(&alice, &doc, PNG_3X2.to_vec(), "holiday.jpg").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(id(&again), png_id);
    let (status, gif) = upload_form(&alice, &doc, gif_5x4(), "x.png").await;
    assert_eq!(status, StatusCode::CREATED, "{gif}");
    assert_eq!(gif["content_type"], "image/gif");
    assert_eq!(
        (gif["width"].as_i64(), gif["height"].as_i64()),
        (Some(5), Some(4))
    );

    // SVG, HTML and junk are refused, whatever they claim to be.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>"#;
    for (bytes, claimed) in [
        (svg.to_vec(), "image/svg+xml"),
        (svg.to_vec(), "image/png"),
        (
            b"<!doctype html><script>alert(1)</script>".to_vec(),
            "image/png",
        ),
        (vec![0u8; 100], "image/webp"),
        ("\u{0}\u{feff}💥".as_bytes().to_vec(), "image/gif"),
    ] {
        let (status, body) = upload_raw(&alice, &doc, bytes, claimed).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        assert_eq!(body["error"], "unsupported_media_type");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("PNG, JPEG, GIF and WebP")
        );
    }
    let (status, body) = upload_form(&alice, &doc, svg.to_vec(), "evil.png").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = upload_raw(&alice, &doc, Vec::new(), "image/png").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = upload_raw(
        &alice,
        &doc,
        b"--nope".to_vec(),
        "multipart/form-data; boundary=B",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Who may upload: editors; viewers 403; non-members 404.
    let (status, _) = upload_raw(&carol, &doc, gif_5x4(), "image/gif").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload_raw(&dave, &doc, gif_5x4(), "image/gif").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Who may see it: members, with nosniff and immutable private caching.
    let url = format!("/api/media/{png_id}");
    for who in [&alice, &bob, &carol] {
        let resp = fetch(s, &url, Some(who)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers().clone();
        assert_eq!(h[CONTENT_TYPE], "image/png");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h[CACHE_CONTROL], "private, max-age=31536000, immutable");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), &PNG_3X2[..]);
        let etag = h[ETAG].to_str().unwrap().to_string();
        let again = s
            .browser()
            .get(s.url(&url))
            .bearer_auth(&who.token)
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    for who in [Some(&dave), None] {
        let resp = fetch(s, &url, who).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    for bad in [
        "/api/media/not-an-id",
        "/api/media/00000000-0000-4000-8000-000000000000",
    ] {
        assert_eq!(
            fetch(s, bad, Some(&alice)).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    // A public published revision that shows the PNG makes it public (the
    // GIF it does not show stays private); unpublishing takes that back.
    let mut ws = YClient::connect(&s.base, &doc, &bob.token).await;
    show_image(&mut ws, &url).await;
    ws.add_paragraph("flush").await;
    let version = alice.get(&format!("/api/documents/{doc}")).await.1["version"].clone();
    let (status, body) = alice
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "slug": "with-pictures", "visibility": "public", "expected_version": version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = alice
        .post(&format!("/api/documents/{doc}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, delivered) = alice
        .get("/api/delivery/documents/with-pictures?format=markdown")
        .await;
    assert!(
        delivered["content"]
            .as_str()
            .unwrap_or_default()
            .contains(&url),
        "the published revision shows the image: {delivered}"
    );
    let public = fetch(s, &url, None).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(public.headers()[CACHE_CONTROL], "public, max-age=60");
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        fetch(s, &format!("/api/media/{}", id(&gif)), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = alice
        .post(&format!("/api/documents/{doc}/unpublish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetch(s, &url, None).await.status(), StatusCode::NOT_FOUND);
    ws.disconnect().await;

    // In the trash it is gone for everyone; restored, it is back; purged,
    // it is gone for good.
    let (status, _) = alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        fetch(s, &url, Some(&alice)).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = upload_raw(&alice, &doc, gif_5x4(), "image/gif").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = alice
        .post(&format!("/api/trash/{doc}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetch(s, &url, Some(&bob)).await.status(), StatusCode::OK);
    alice.delete(&format!("/api/documents/{doc}")).await;
    let (status, _) = alice.delete(&format!("/api/trash/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        fetch(s, &url, Some(&alice)).await.status(),
        StatusCode::NOT_FOUND
    );
}
on_both_backends!(upload_rules, super::upload_rules);

/// Over `MAX_MEDIA_BYTES` of file bytes is 413 with the limit named, as a
/// raw body, in a form, and when only the declared length says so; the
/// limit is the file's, not `MAX_BODY_BYTES`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_is_413() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.limits.max_media_bytes = 4096;
        c.limits.max_body_bytes = 1024;
    })
    .await;
    let alice = s.user("alice").await;
    let doc = id(&alice.create_doc("Big").await);
    // Within the media limit though over the general body limit: accepted.
    let mut big_png = PNG_3X2.to_vec();
    big_png.extend(std::iter::repeat_n(0u8, 3000));
    let (status, body) = upload_raw(&alice, &doc, big_png.clone(), "image/png").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    big_png.extend(std::iter::repeat_n(0u8, 2000));
    let (status, body) = upload_raw(&alice, &doc, big_png.clone(), "image/png").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["message"], "the file is larger than the 4 KiB limit");
    let (status, body) = upload_form(&alice, &doc, big_png.clone(), "big.png").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // A streamed body without a length, far over: refused, nothing stored.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![0u8; 1024])).collect();
    let resp = alice
        .client
        .post(s.url(&format!("/api/documents/{doc}/media")))
        .bearer_auth(&alice.token)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // Other routes keep the general limit.
    let (status, _) = alice
        .post(
            "/api/documents",
            json!({ "title": "x", "body": "y".repeat(2000) }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    s.stop().await;
}
