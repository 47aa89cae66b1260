//! Hostile link targets never come out of the exporters as live
//! `javascript:` (or other non-allow-listed) links, however they are
//! disguised: character references, backslash escapes, control characters,
//! mixed case. Markdown output is read back with pulldown-cmark (the link
//! destination it yields is what its HTML renderer writes into `href`),
//! HTML output with html5ever (through `scraper`), and the scheme is then
//! judged the way a browser's URL parser finds it.

use proptest::prelude::*;
use pulldown_cmark::{Event, Parser, Tag};
use quire_doc::content::{
    html_to_pm, is_safe_href, is_safe_src, markdown_to_pm, pm_to_html, pm_to_markdown,
};
use scraper::{Html, Selector};
use serde_json::{Value, json};

const HOSTILE: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript&#58;alert(1)",
    "javascript&#058;alert(1)",
    "javascript&#x3A;alert(1)",
    "javascript&#x3a alert(1)",
    "javascript&colon;alert(1)",
    "javascript&COLON;alert(1)",
    "&#x6A;avascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#0000106avascript:alert(1)",
    "java\tscript:alert(1)",
    "java&Tab;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "java\nscript:alert(1)",
    "\u{1}javascript:alert(1)",
    " \u{0}javascript:alert(1)",
    "javascript\\:alert(1)",
    "java\\script:alert(1)",
    "\\javascript:alert(1)",
    "javascript&amp;#58;alert(1)",
    "javascript&amp;colon;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD4=",
    "javascript:alert(1)//http://ok",
    "jav&#x09;ascript:alert(1)",
    "jav&#x0A;ascript:alert(1)",
    "javascript&#58alert(1)",
    "javascript&unknownentity;alert(1)",
];

const FRIENDLY: &[&str] = &[
    "https://example.org/a?b=1&c=2#x",
    "http://example.org/a b(c)",
    "mailto:a@example.org",
    "/relative/path?x=y&z=w",
    "page.html",
    "#anchor",
    "?q=1",
    "../up",
    "https://example.org/javascript:nope",
];

/// The scheme a browser's URL parser finds: leading C0 controls and spaces
/// stripped, tabs and newlines removed, then `[A-Za-z][A-Za-z0-9+.-]*:`.
fn browser_scheme(href: &str) -> Option<String> {
    let s: String = href
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = s.find(':')?;
    let scheme = s.get(..colon)?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

fn assert_harmless(href: &str, context: &str) {
    if let Some(scheme) = browser_scheme(href) {
        assert!(
            matches!(scheme.as_str(), "http" | "https" | "mailto"),
            "{context}: live {scheme}: link {href:?}"
        );
    }
}

fn doc_with_link(href: &str) -> Value {
    json!({"type":"doc","content":[{"type":"paragraph","content":[
        {"type":"text","text":"click","marks":[{"type":"link","attrs":{"href":href}}]}]}]})
}

/// Link destinations pulldown-cmark reads from `md`.
fn markdown_links(md: &str) -> Vec<String> {
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

fn html_links(html: &str) -> Vec<String> {
    let dom = Html::parse_fragment(html);
    let Ok(sel) = Selector::parse("[href]") else {
        panic!("selector");
    };
    dom.select(&sel)
        .filter_map(|e| e.value().attr("href").map(str::to_string))
        .collect()
}

fn check_exports(href: &str) {
    let pm = doc_with_link(href);
    let md = pm_to_markdown(&pm);
    for link in markdown_links(&md) {
        assert_harmless(&link, &format!("markdown {md:?}"));
    }
    let html = pm_to_html(&pm);
    for link in html_links(&html) {
        assert_harmless(&link, &format!("html {html:?}"));
    }
}

#[test]
fn hostile_hrefs_are_refused_and_never_exported_live() {
    for href in HOSTILE {
        assert!(!is_safe_href(href), "accepted {href:?}");
        check_exports(href);
        let pm = doc_with_link(href);
        assert!(markdown_links(&pm_to_markdown(&pm)).is_empty(), "{href:?}");
        assert!(html_links(&pm_to_html(&pm)).is_empty(), "{href:?}");
    }
}

#[test]
fn friendly_hrefs_survive_markdown_and_html_exactly() {
    for href in FRIENDLY {
        assert!(is_safe_href(href), "refused {href:?}");
        let pm = doc_with_link(href);
        let md = pm_to_markdown(&pm);
        let links = markdown_links(&md);
        // Spaces are percent-encoded; everything else reads back as is.
        assert_eq!(links, vec![href.replace(' ', "%20")], "{md}");
        assert_eq!(html_links(&pm_to_html(&pm)), vec![href.to_string()]);
    }
}

/// Imports apply the same rule: a disguised target keeps its text only.
#[test]
fn imports_drop_disguised_targets() {
    for href in HOSTILE {
        let escaped = href.replace('(', "\\(").replace(')', "\\)");
        let md = format!("[x]({})", escaped.replace(['\n', ' '], ""));
        let s = markdown_to_pm(&md).to_string();
        assert!(!s.contains("\"link\""), "{md:?} -> {s}");
        let html = format!("<a href=\"{}\">x</a>", href.replace('"', "&quot;"));
        let s = html_to_pm(&html).to_string();
        assert!(!s.contains("\"link\""), "{html:?} -> {s}");
    }
}

/// Disguises of `javascript:` built at random.
fn disguised() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(0u8),
        Just(1u8),
        Just(2u8),
        Just(3u8),
        Just(4u8),
        Just(5u8),
    ];
    (
        prop::collection::vec((piece, any::<bool>()), 11),
        "[\\x00-\\x20]{0,2}",
    )
        .prop_map(|(plan, lead)| {
            let mut out = lead;
            for (c, (how, upper)) in "javascript:".chars().zip(plan) {
                let c = if upper { c.to_ascii_uppercase() } else { c };
                match how {
                    0 => out.push(c),
                    1 => out.push_str(&format!("&#{};", u32::from(c))),
                    2 => out.push_str(&format!("&#x{:x}", u32::from(c))),
                    3 => {
                        out.push('\t');
                        out.push(c);
                    }
                    4 if c == ':' => out.push_str("&colon;"),
                    5 if c.is_ascii_punctuation() => {
                        out.push('\\');
                        out.push(c);
                    }
                    _ => out.push(c),
                }
            }
            out.push_str("alert(1)");
            out
        })
}

// ------------------------------------------------------------ image sources

fn doc_with_image(src: &str) -> Value {
    json!({"type":"doc","content":[{"type":"image","attrs":{"src":src,"alt":"pic"}}]})
}

fn html_srcs(html: &str) -> Vec<String> {
    let dom = Html::parse_fragment(html);
    let Ok(sel) = Selector::parse("[src]") else {
        panic!("selector");
    };
    dom.select(&sel)
        .filter_map(|e| e.value().attr("src").map(str::to_string))
        .collect()
}

/// Image sources a browser would load: only `http(s)` or relative.
fn assert_loadable_only(src: &str, context: &str) {
    if let Some(scheme) = browser_scheme(src) {
        assert!(
            matches!(scheme.as_str(), "http" | "https"),
            "{context}: image from {scheme}: {src:?}"
        );
    }
}

fn check_image_exports(src: &str) {
    let pm = doc_with_image(src);
    let md = pm_to_markdown(&pm);
    for s in markdown_links(&md) {
        assert_loadable_only(&s, &format!("markdown {md:?}"));
    }
    let html = pm_to_html(&pm);
    for s in html_srcs(&html) {
        assert_loadable_only(&s, &format!("html {html:?}"));
    }
}

#[test]
fn hostile_image_sources_are_refused_everywhere() {
    for src in HOSTILE
        .iter()
        .chain(&["mailto:a@b.c", "blob:https://x/1", "file:///etc/passwd"])
    {
        assert!(!is_safe_src(src), "accepted {src:?}");
        check_image_exports(src);
        // Exports keep the alt text, never the image.
        let pm = doc_with_image(src);
        assert!(markdown_links(&pm_to_markdown(&pm)).is_empty(), "{src:?}");
        assert_eq!(pm_to_html(&pm), "<p>pic</p>", "{src:?}");
        // Imports drop the image and keep the alt text.
        let escaped = src.replace('(', "\\(").replace(')', "\\)");
        let md = format!("![alt]({})", escaped.replace(['\n', ' '], ""));
        let s = markdown_to_pm(&md).to_string();
        assert!(!s.contains("\"image\""), "{md:?} -> {s}");
        assert!(s.contains("alt"), "{md:?} -> {s}");
        let html = format!("<img src=\"{}\" alt=\"alt\">", src.replace('"', "&quot;"));
        let s = html_to_pm(&html).to_string();
        assert!(!s.contains("\"image\""), "{html:?} -> {s}");
    }
}

#[test]
fn friendly_image_sources_survive() {
    for src in [
        "/api/media/abc",
        "https://example.org/a.png?x=1&y=2",
        "http://example.org/a b(c).png",
        "img/a.png",
    ] {
        assert!(is_safe_src(src), "refused {src:?}");
        let pm = doc_with_image(src);
        let md = pm_to_markdown(&pm);
        assert_eq!(markdown_links(&md), vec![src.replace(' ', "%20")], "{md}");
        assert_eq!(html_srcs(&pm_to_html(&pm)), vec![src.to_string()]);
        let back = markdown_to_pm(&md);
        assert_eq!(back["content"][0]["attrs"]["src"], src.replace(' ', "%20"));
    }
}

proptest! {
    #[test]
    fn random_disguises_never_load_as_images(src in disguised()) {
        prop_assert!(!is_safe_src(&src), "accepted {:?}", src);
        check_image_exports(&src);
    }

    #[test]
    fn any_src_exports_harmlessly(src in "[a-zA-Z:&#;\\\\\\t /?()0-9x]{0,24}") {
        check_image_exports(&src);
    }

    #[test]
    fn random_disguises_never_export_live(href in disguised()) {
        prop_assert!(!is_safe_href(&href), "accepted {:?}", href);
        check_exports(&href);
    }

    #[test]
    fn any_href_exports_harmlessly(href in "[a-zA-Z:&#;\\\\\\t /?()0-9x]{0,24}") {
        check_exports(&href);
    }
}
