//! Import cost bounds: pathological Markdown and HTML just under the
//! server's 2 MiB body limit are refused with a clear error by the `try_`
//! importers (HTML nesting before any parsing) and converted with bounded
//! work by the infallible ones. Assertions are on work (node counts,
//! nesting), not wall-clock; timings are printed for the record.

use std::time::Instant;

use quire_doc::content::{
    ContentError, MAX_HTML_NESTING, MAX_IMPORT_NODES, html_to_pm, markdown_to_pm, pm_to_text,
    pm_to_update, try_html_to_pm, try_markdown_to_pm,
};
use serde_json::Value;

const BODY_LIMIT: usize = 2 * 1024 * 1024 - 1024;

/// Nodes and deepest nesting of a PM doc, walked without recursion.
fn shape(pm: &Value) -> (usize, usize) {
    let mut nodes = 0;
    let mut deepest = 0;
    let mut stack = vec![(pm, 0usize)];
    while let Some((n, d)) = stack.pop() {
        nodes += 1;
        deepest = deepest.max(d);
        if let Some(kids) = n.get("content").and_then(Value::as_array) {
            stack.extend(kids.iter().map(|k| (k, d + 1)));
        }
    }
    (nodes, deepest)
}

fn repeat_to_limit(unit: &str) -> String {
    unit.repeat(BODY_LIMIT / unit.len())
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    eprintln!("{label}: {:?}", t.elapsed());
    out
}

#[test]
fn nested_divs_are_refused_before_parsing() {
    let depth = BODY_LIMIT / 12;
    let html = format!("{}x{}", "<div>".repeat(depth), "</div>".repeat(depth));
    assert!(html.len() < 2 * 1024 * 1024);
    let err = timed("try_html_to_pm nested div", || try_html_to_pm(&html)).unwrap_err();
    assert_eq!(err, ContentError::HtmlTooDeep(MAX_HTML_NESTING));
    assert_eq!(err.to_string(), "HTML nested more than 512 levels deep");
    // The infallible form unwraps what is too deep and keeps the text.
    let pm = timed("html_to_pm nested div", || html_to_pm(&html));
    assert_eq!(pm_to_text(&pm), "x");
    // Just at the limit is fine.
    let ok = format!("{}y{}", "<div>".repeat(500), "</div>".repeat(500));
    assert_eq!(pm_to_text(&try_html_to_pm(&ok).unwrap()), "y");
}

/// Formatting elements closed by a paragraph end are re-opened by the
/// parser around the next text, one level deeper each time: 100 KB of this
/// took 7 s (quadratic) before the scan counted them.
#[test]
fn reopened_formatting_elements_count_as_nesting() {
    let html: String = (0..BODY_LIMIT / 40)
        .map(|i| format!("<p><b class={i}>x</p>"))
        .collect::<String>();
    assert!(html.len() < 2 * 1024 * 1024);
    let err = timed("try_html_to_pm formatting", || try_html_to_pm(&html)).unwrap_err();
    assert_eq!(err, ContentError::HtmlTooDeep(MAX_HTML_NESTING));
    // 64 left open, then many paragraphs: each would re-open all of them.
    let mut few: String = (0..100).map(|i| format!("<p><b class={i}>x</p>")).collect();
    few.push_str(&"<p>y</p>".repeat(20_000));
    assert_eq!(
        try_html_to_pm(&few),
        Err(ContentError::HtmlTooDeep(MAX_HTML_NESTING))
    );
    let pm = timed("html_to_pm formatting", || html_to_pm(&html));
    let (_, deepest) = shape(&pm);
    assert!(deepest < 10, "{deepest}");
    assert_eq!(pm_to_text(&pm).matches('x').count(), BODY_LIMIT / 40);
}

/// Sloppy but ordinary HTML is not mistaken for deep nesting.
#[test]
fn unclosed_items_and_repeated_formatting_are_not_nesting() {
    let list = format!("<ul>{}</ul>", "<li>item".repeat(2_000));
    let pm = try_html_to_pm(&list).unwrap();
    assert_eq!(pm_to_text(&pm).lines().count(), 2_000);
    let paras = "<p>para <b>bold</p>".repeat(2_000);
    assert!(try_html_to_pm(&paras).is_ok());
    let table = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(2_000));
    assert!(try_html_to_pm(&table).is_ok());
    let scripts = "<script><div><div><div></script>".repeat(1_000);
    assert!(try_html_to_pm(&scripts).is_ok());
}

#[test]
fn emphasis_runs_are_bounded() {
    for unit in ["*a* ", "**a* ", "*a*b", "_a_ ", "`a` "] {
        let md = repeat_to_limit(unit);
        let err = timed(&format!("try_markdown_to_pm {unit:?}"), || {
            try_markdown_to_pm(&md)
        })
        .unwrap_err();
        assert_eq!(err, ContentError::TooManyNodes(MAX_IMPORT_NODES));
        let pm = timed(&format!("markdown_to_pm {unit:?}"), || markdown_to_pm(&md));
        let (nodes, _) = shape(&pm);
        assert!(nodes <= MAX_IMPORT_NODES + 10, "{unit:?}: {nodes} nodes");
        // Nothing typed is lost: every `a` is still there.
        let want = md.matches('a').count();
        assert_eq!(pm_to_text(&pm).matches('a').count(), want, "{unit:?}");
    }
}

#[test]
fn many_small_html_elements_are_bounded() {
    let html = repeat_to_limit("<b>a</b><i>b</i> ");
    let err = timed("try_html_to_pm many marks", || try_html_to_pm(&html)).unwrap_err();
    assert_eq!(err, ContentError::TooManyNodes(MAX_IMPORT_NODES));
    let pm = timed("html_to_pm many marks", || html_to_pm(&html));
    let (nodes, _) = shape(&pm);
    assert!(nodes <= MAX_IMPORT_NODES + 10, "{nodes}");
    assert_eq!(
        pm_to_text(&pm).matches('a').count(),
        html.matches("<b>a").count()
    );
}

/// A large ordinary document converts whole.
#[test]
fn a_large_ordinary_document_is_accepted() {
    let para = "Some *emphasis*, a [link](https://example.org) and `code` in a long \
                enough paragraph of ordinary prose to look like a real document.\n\n";
    let md = para.repeat(BODY_LIMIT / para.len() / 2);
    let pm = timed("try_markdown_to_pm ordinary 1 MiB", || {
        try_markdown_to_pm(&md)
    })
    .unwrap();
    let (nodes, _) = shape(&pm);
    assert!(nodes < MAX_IMPORT_NODES, "{nodes}");
}

/// Tables are bounded like everything else: a 2 MiB table is refused by
/// the `try_` forms and converted with bounded work, nothing typed lost.
#[test]
fn huge_tables_are_bounded() {
    let md = format!(
        "| h | i |\n| --- | --- |\n{}",
        repeat_to_limit("| x | y |\n")
    );
    let md = md.get(..BODY_LIMIT).unwrap_or(&md).to_string();
    let err = timed("try_markdown_to_pm huge table", || try_markdown_to_pm(&md)).unwrap_err();
    assert_eq!(err, ContentError::TooManyNodes(MAX_IMPORT_NODES));
    let pm = timed("markdown_to_pm huge table", || markdown_to_pm(&md));
    let (nodes, deepest) = shape(&pm);
    assert!(nodes <= MAX_IMPORT_NODES + 10, "{nodes}");
    assert!(deepest < 10, "{deepest}");
    assert_eq!(
        pm_to_text(&pm).matches('x').count(),
        md.matches('x').count()
    );

    // One very wide row.
    let cols = BODY_LIMIT / 8;
    let wide = format!("{}|\n{}|\n", "| a ".repeat(cols), "|-".repeat(cols));
    let pm = timed("markdown_to_pm wide table", || markdown_to_pm(&wide));
    let (nodes, _) = shape(&pm);
    assert!(nodes <= MAX_IMPORT_NODES + 10, "{nodes}");
    assert_eq!(pm_to_text(&pm).matches('a').count(), cols);

    let html = repeat_to_limit("<tr><td>x</td><th>y</th></tr>");
    let html = format!("<table>{html}</table>");
    let err = timed("try_html_to_pm huge table", || try_html_to_pm(&html)).unwrap_err();
    assert_eq!(err, ContentError::TooManyNodes(MAX_IMPORT_NODES));
    let pm = timed("html_to_pm huge table", || html_to_pm(&html));
    let (nodes, _) = shape(&pm);
    assert!(nodes <= MAX_IMPORT_NODES + 10, "{nodes}");
    assert_eq!(
        pm_to_text(&pm).matches('x').count(),
        html.matches("<td>x").count()
    );
}

/// Task lists nested past the depth cap are flattened, not refused, and
/// stay within `MAX_DEPTH`.
#[test]
fn deeply_nested_task_lists_are_flattened() {
    let mut md = String::new();
    for i in 0..400 {
        md.push_str(&"  ".repeat(i));
        md.push_str(if i % 2 == 0 { "- [ ] t\n" } else { "- [x] t\n" });
    }
    let pm = timed("markdown_to_pm nested tasks", || try_markdown_to_pm(&md)).unwrap();
    let (_, deepest) = shape(&pm);
    assert!(deepest <= quire_doc::content::MAX_DEPTH + 2, "{deepest}");
    assert_eq!(pm_to_text(&pm).matches('t').count(), 400);

    let one_line = format!("{}x", "- [ ] ".repeat(5_000));
    let pm = markdown_to_pm(&one_line);
    assert!(pm_to_text(&pm).contains('x'));

    let html = format!(
        "{}deep{}",
        "<ul data-type=\"taskList\"><li data-type=\"taskItem\" data-checked=\"true\">".repeat(400),
        "</li></ul>".repeat(400)
    );
    let pm = timed("html_to_pm nested tasks", || html_to_pm(&html));
    let (_, deepest) = shape(&pm);
    assert!(deepest <= quire_doc::content::MAX_DEPTH + 2, "{deepest}");
    assert!(pm_to_text(&pm).contains("deep"));

    // Tables in tables in task lists.
    let html = format!(
        "{}core{}",
        "<table><tr><td><ul data-type=\"taskList\"><li>".repeat(200),
        "</li></ul></td></tr></table>".repeat(200)
    );
    let pm = html_to_pm(&html);
    let (_, deepest) = shape(&pm);
    assert!(deepest <= quire_doc::content::MAX_DEPTH + 2, "{deepest}");
    assert!(pm_to_text(&pm).contains("core"));
    assert!(pm_to_update(&pm).is_ok());

    // Every container kind nested as deep as it goes still fits
    // `write_pm`'s depth limit.
    for unit in [
        ("<table><tr><td>", "</td></tr></table>"),
        ("<ul><li><table><tr><td>", "</td></tr></table></li></ul>"),
        ("<td>", "</td>"),
        ("<tr>", "</tr>"),
        (
            "<ul data-type=\"taskList\"><li><blockquote>",
            "</blockquote></li></ul>",
        ),
        ("<li><tr><td>", "</td></tr></li>"),
    ] {
        for n in [19, 20, 21, 30, 63, 64, 65, 200] {
            let html = format!("{}x<img src=\"/i\">y{}", unit.0.repeat(n), unit.1.repeat(n));
            let pm = html_to_pm(&html);
            assert!(pm_to_update(&pm).is_ok(), "{unit:?} x {n}");
            assert!(pm_to_text(&pm).contains('y'), "{unit:?} x {n}");
        }
    }
    for n in [20, 30, 63, 64, 65, 200] {
        let md = format!(
            "{}| a ![i](/i) b |\n{}| - |\n",
            "> - [ ] ".repeat(n),
            "> ".repeat(n) + &"  ".repeat(n)
        );
        let pm = markdown_to_pm(&md);
        assert!(pm_to_update(&pm).is_ok(), "md x {n}");
    }
}
