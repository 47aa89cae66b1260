//! The module layering of the server crate, checked from its source.
//!
//! Dependencies point down: `api` (the HTTP edge) may use everything below
//! it; `collab` knows nothing of HTTP (`api`, `state`, `server`, `axum`);
//! `auth` knows no server types; `feed` (account notices) sits beside
//! `collab` and knows no HTTP either; `store` and `bus` use neither `collab` nor
//! `api`; and no two top-level modules import each other in a circle. Test
//! code (`#[cfg(test)]` modules and files) is left out: a unit test may
//! reach across layers to set up its case.
//!
//! The check reads `crate::<module>` paths (including grouped
//! `use crate::{a, b::c}`) and `axum` paths in each file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules of the crate and what each may not import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("collab", &["api", "state", "server", "cli", "axum"]),
    ("auth", &["api", "state", "server", "collab", "cli", "axum"]),
    ("feed", &["api", "state", "server", "cli", "axum"]),
    (
        "webhooks",
        &["api", "state", "server", "collab", "auth", "cli", "axum"],
    ),
    (
        "store",
        &[
            "api", "state", "server", "collab", "auth", "bus", "cli", "axum",
        ],
    ),
    (
        "bus",
        &[
            "api", "state", "server", "collab", "auth", "store", "cli", "axum",
        ],
    ),
];

/// Source files of `src/` that are not test code, with their top-level
/// module (`src/collab/room/mod.rs` → `collab`, `src/state.rs` → `state`).
fn production_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let test_only = test_only_children(dir);
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if test_only.contains(&stem) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            if top != "main" && top != "lib" {
                out.push((top, path));
            }
        }
    }
}

/// Child modules that the directory's module file declares under
/// `#[cfg(test)]` (`#[cfg(test)] mod tests;`, `#[cfg(test)] pub mod memory;`).
fn test_only_children(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut parents = vec![dir.join("mod.rs")];
    if let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) {
        parents.push(parent.join(format!("{}.rs", name.to_string_lossy())));
    }
    for file in parents {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let mut after_cfg_test = false;
        for line in text.lines().map(str::trim) {
            if line == "#[cfg(test)]" {
                after_cfg_test = true;
                continue;
            }
            if after_cfg_test {
                let decl = line
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                    names.insert(name.trim().to_string());
                }
            }
            after_cfg_test = false;
        }
    }
    names
}

/// The file's text without its inline `#[cfg(test)] mod … { … }` blocks.
fn without_inline_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            rest = "";
            break;
        };
        // A `#[cfg(test)] mod x;` declaration (no block) ends at its `;`.
        if let Some(semi) = after.find(';')
            && semi < open
        {
            rest = &after[semi + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Top-level modules a piece of source refers to through `crate::`, plus
/// `axum` when it uses axum.
fn references(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut refs = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let tail = &rest[at + "crate::".len()..];
        if let Some(group) = tail.strip_prefix('{') {
            let close = group.find('}').unwrap_or(group.len());
            for item in group[..close].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    refs.insert(name);
                }
            }
        } else {
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                refs.insert(name);
            }
        }
        rest = tail;
    }
    if code.contains("axum::") || code.contains("use axum") {
        refs.insert("axum".into());
    }
    refs
}

/// For each top-level module, the modules it refers to and where.
fn graph() -> BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> {
    let mut g: BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> = BTreeMap::new();
    for (module, path) in production_files() {
        let text = without_inline_tests(&fs::read_to_string(&path).unwrap());
        let entry = g.entry(module.clone()).or_default();
        for r in references(&text) {
            if r != module {
                entry.entry(r).or_default().push(path.clone());
            }
        }
    }
    g
}

#[test]
fn lower_layers_do_not_import_upper_ones() {
    let g = graph();
    let mut violations = Vec::new();
    for (module, forbidden) in FORBIDDEN {
        let deps = g
            .get(*module)
            .unwrap_or_else(|| panic!("no module {module}"));
        for f in *forbidden {
            if let Some(files) = deps.get(*f) {
                violations.push(format!("{module} imports {f} in {files:?}"));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let g = graph();
    let modules: BTreeSet<&String> = g.keys().collect();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit<'a>(
        m: &'a String,
        g: &'a BTreeMap<String, BTreeMap<String, Vec<PathBuf>>>,
        modules: &BTreeSet<&String>,
        stack: &mut Vec<&'a String>,
        done: &mut BTreeSet<&'a String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| *s == m) {
            let mut cycle: Vec<String> = stack[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.clone());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m);
        for dep in g[m].keys().filter(|d| modules.contains(d)) {
            if let Some(c) = visit(dep, g, modules, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m);
        None
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(m, &g, &modules, &mut stack, &mut done) {
            let edges: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} → {} ({:?})", w[0], w[1], g[&w[0]][&w[1]]))
                .collect();
            panic!("import cycle {}:\n{}", cycle.join(" → "), edges.join("\n"));
        }
    }
}

/// The checker itself sees what it must: grouped imports, and nothing in
/// test blocks or comments.
#[test]
fn the_reference_scan_reads_grouped_imports_and_skips_tests() {
    let src = "use crate::{api::error, store};\n// crate::state in a comment\nfn f() { crate::bus::x(); }\n#[cfg(test)]\nmod tests { use crate::server; }\n";
    let refs = references(&without_inline_tests(src));
    let want: BTreeSet<String> = ["api", "store", "bus"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(refs, want);
}
