//! The web client's generated files are up to date with the server.
//!
//! `web/src/protocol.gen.ts` (close codes, message types, editor schema
//! version) and `web/src/api/schema.gen.ts` (REST types from the OpenAPI
//! document, made by the npm package `openapi-typescript`) are checked in.
//! These tests regenerate both from the current Rust code and fail, naming
//! the command to run, when a checked-in copy differs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Regenerates `web/src/api/schema.gen.ts` (run from the repository root).
const SCHEMA_COMMAND: &str = "cargo run --bin quire -- openapi > target/openapi.json && \
     npm --prefix web run gen:api -- ../target/openapi.json";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checked_in(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// Fails with `command` when `fresh` differs from the checked-in `rel`,
/// naming the first differing line.
fn assert_current(rel: &str, fresh: &str, command: &str) {
    let old = checked_in(rel);
    if old == fresh {
        return;
    }
    let line = old
        .lines()
        .zip(fresh.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| old.lines().count().min(fresh.lines().count()));
    panic!(
        "{rel} is stale (first difference at line {}).\nRegenerate it from the repository root with:\n  {command}",
        line + 1
    );
}

#[test]
fn protocol_constants_are_current() {
    assert_current(
        "web/src/protocol.gen.ts",
        &quire_doc::protocol::constants::typescript(),
        quire_doc::protocol::constants::TYPESCRIPT_COMMAND,
    );
}

/// Runs the same generator as `npm run gen:api` (the script only adds the
/// output path) on the current OpenAPI document.
#[test]
fn rest_types_are_current() {
    let web = repo().join("web");
    let bin = web.join("node_modules/.bin/openapi-typescript");
    assert!(
        bin.exists(),
        "{} is missing: run `npm --prefix web ci` first",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("openapi.json");
    let doc = quire::api::openapi().to_pretty_json().unwrap();
    std::fs::write(&json, doc).unwrap();
    let out = Command::new(&bin)
        .arg(&json)
        .current_dir(&web)
        .output()
        .expect("running openapi-typescript");
    assert!(
        out.status.success(),
        "openapi-typescript failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = String::from_utf8(out.stdout).unwrap();
    assert_current("web/src/api/schema.gen.ts", &fresh, SCHEMA_COMMAND);
}

/// The npm script the regenerate command uses writes where the test reads.
#[test]
fn gen_api_script_writes_the_checked_in_file() {
    let pkg: serde_json::Value = serde_json::from_str(&checked_in("web/package.json")).unwrap();
    let script = pkg["scripts"]["gen:api"].as_str().unwrap_or_default();
    assert_eq!(
        script, "openapi-typescript --output src/api/schema.gen.ts",
        "web/package.json's gen:api changed: keep rest_types_are_current in step"
    );
    assert!(Path::new(&repo().join("web/src/api/schema.gen.ts")).exists());
}

/// The CLI prints exactly what the tests compare with.
#[test]
fn cli_prints_the_generated_code() {
    let bin = env!("CARGO_BIN_EXE_quire");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "quire {args:?} failed");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["codegen", "protocol"]),
        quire_doc::protocol::constants::typescript()
    );
    let doc: serde_json::Value = serde_json::from_str(&run(&["openapi"])).unwrap();
    assert_eq!(
        doc,
        serde_json::to_value(quire::api::openapi()).unwrap(),
        "`quire openapi` prints the served document"
    );
}
