//! Timing of Markdown/HTML import on pathological inputs near the server's
//! 2 MiB body limit (a measuring aid; not part of the test suite).

use std::time::Instant;

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    eprintln!("{label}: {:?}", t.elapsed());
    out
}

fn main() {
    let n = 1_460_000;
    let shapes: Vec<(&str, String)> = vec![
        ("*a* runs", "*a* ".repeat(n / 4)),
        ("*a runs", "*a ".repeat(n / 3)),
        ("**a* runs", "**a* ".repeat(n / 5)),
        ("a* runs", "a* ".repeat(n / 3)),
        ("*a*b runs", "*a*b".repeat(n / 4)),
        ("_a_ runs", "_a_ ".repeat(n / 4)),
        ("[a runs", "[a ".repeat(n / 3)),
        ("`a runs", "`a ".repeat(n / 3)),
        ("> nest", ">".repeat(n)),
        ("- nest", "- ".repeat(n / 2)),
    ];
    let only = std::env::args().nth(1);
    for (label, md) in &shapes {
        if only.as_deref().is_some_and(|o| o != *label) {
            continue;
        }
        let events = time(&format!("{label} pulldown only"), || {
            pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_STRIKETHROUGH)
                .count()
        });
        time(&format!("{label} markdown_to_pm ({events} events)"), || {
            quire_doc::content::markdown_to_pm(md)
        });
    }
    if only.is_some() {
        return;
    }
    for n in [5_000usize, 20_000] {
        let html: String = (0..n).map(|i| format!("<p><b class={i}>x</p>")).collect();
        let pm = time(
            &format!("html formatting reconstruction {n} ({} bytes)", html.len()),
            || quire_doc::content::html_to_pm(&html),
        );
        eprintln!("  -> {} bytes of PM", pm.to_string().len());
    }
    for n in [100_000usize, 300_000] {
        let md = "*a* ".repeat(n);
        time(&format!("try_markdown_to_pm *a* x{n}"), || {
            quire_doc::content::try_markdown_to_pm(&md).is_ok()
        });
        time(&format!("markdown_to_pm *a* x{n}"), || {
            quire_doc::content::markdown_to_pm(&md)
        });
    }
    for depth in [10_000usize, 40_000] {
        let html = format!("{}x{}", "<div>".repeat(depth), "</div>".repeat(depth));
        time(&format!("html nested div {depth}"), || {
            quire_doc::content::html_to_pm(&html)
        });
    }
}
