//! Every type the OpenAPI document describes has a name of its own. utoipa names a component
//! after the Rust type, not its path: two `SmsReplyDto`s (a received text, and a flow's reply
//! rule) were one component, so the document described a setup's SMS replies as received
//! texts, and the API fuzzer found responses "violating" it. This reads the crate's sources
//! and fails on any name two `ToSchema` types share (unless one is renamed with
//! `#[schema(as = …)]`).

use std::collections::BTreeMap;
use std::path::Path;

fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The name a `pub struct`/`pub enum` line declares.
fn declared(line: &str) -> Option<&str> {
    let rest = line
        .trim_start()
        .strip_prefix("pub ")
        .or_else(|| line.trim_start().strip_prefix("pub(crate) "))?;
    let rest = rest
        .strip_prefix("struct ")
        .or_else(|| rest.strip_prefix("enum "))?;
    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
}

#[test]
fn no_two_schema_types_share_a_name() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let (mut schema, mut renamed) = (false, false);
        for (n, line) in text.lines().enumerate() {
            let attribute = line.trim_start();
            if attribute.starts_with("#[derive(") && attribute.contains("ToSchema") {
                schema = true;
            } else if attribute.starts_with("#[schema(as") {
                renamed = true;
            } else if let Some(name) = declared(line) {
                if schema && !renamed {
                    names.entry(name.to_owned()).or_default().push(format!(
                        "{}:{}",
                        file.display(),
                        n + 1
                    ));
                }
                (schema, renamed) = (false, false);
            }
        }
    }
    assert!(
        names.len() > 100,
        "the scan finds the schema types: {}",
        names.len()
    );
    let shared: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(shared.is_empty(), "schema names used twice: {shared:#?}");
}
