//! Writes the lean copy of the built-in English pack into `OUT_DIR/lean/rules/en/`.
//!
//! The `lean-pack` feature embeds these copies instead of `rules/en/*.toml` (the wasm crate turns
//! it on). They hold what the engine runs and nothing that only `kindly test-rules`, `kindly
//! explain` or a reader of the files needs: rule examples, `why` notes, the pack's authors and
//! home page, and every comment. That is more than half of the pack's text. The files are read
//! and written with the `toml` crate, so the copy means exactly what the original means (key
//! order and formatting change; the loader does not depend on either).
//!
//! The copies are written on every build so that tests can compare them with the full pack;
//! only builds with `lean-pack` embed them.

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fs;
use std::path::Path;

/// Keys of a `[[rule]]` that only self-tests and explanations read.
const RULE_DOC_KEYS: &[&str] = &["examples", "why"];
/// Keys of `[pack]` that nothing in the engine reads (accepted for crediting authors).
const PACK_DOC_KEYS: &[&str] = &["authors", "homepage"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    // A directory: Cargo reruns the script when any file in it changes, is added or removed.
    println!("cargo:rerun-if-changed=rules/en");

    let src = Path::new("rules/en");
    let out_dir = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?;
    let out = Path::new(&out_dir).join("lean/rules/en");
    // Start empty, so a file removed from rules/en cannot live on as a stale copy.
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    for entry in fs::read_dir(src)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let Some(name) = path.file_name() else {
            continue;
        };
        let text = fs::read_to_string(&path)?;
        let lean = match lean(&text) {
            Ok(lean) => lean,
            Err(e) => {
                // Copied unchanged: the pack loader then reports the error with its file, line
                // and column when the engine is built, as it does for the full pack.
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                println!(
                    "cargo:warning={} is not valid TOML ({first}); embedding it unchanged",
                    path.display()
                );
                text
            }
        };
        fs::write(out.join(name), lean)?;
    }
    Ok(())
}

/// The file without its documentation-only keys, re-serialized (which drops the comments).
fn lean(text: &str) -> Result<String, Box<dyn Error>> {
    let mut file: toml::Table = toml::from_str(text)?;
    if let Some(toml::Value::Table(pack)) = file.get_mut("pack") {
        for key in PACK_DOC_KEYS {
            pack.remove(*key);
        }
    }
    if let Some(toml::Value::Array(rules)) = file.get_mut("rule") {
        for rule in rules {
            if let toml::Value::Table(rule) = rule {
                for key in RULE_DOC_KEYS {
                    rule.remove(*key);
                }
            }
        }
    }
    Ok(toml::to_string(&file)?)
}
