//! `cargo xtask walls`: checks the architecture rules between workspace crates, so a wrong
//! dependency fails the gate instead of slowly eroding the design.
//!
//! The rules:
//! - `cube-domain` depends on no other workspace crate, and nothing in its dependency tree is a
//!   runtime or I/O crate (tokio, sqlx, axum, …): the domain stays pure.
//! - `cube-app` depends only on `cube-domain` among workspace crates.
//! - `cube-testkit` is never a normal (non-dev) dependency of `cube-domain`, `cube-app`, or a
//!   crate under `adapters/` or `apps/`: test doubles never ship.
//! - A crate under `adapters/` depends only on `crates/*` workspace crates (not `cube-testkit`),
//!   never on another adapter or on an app.
//!
//! The dependency graph comes from `cargo tree --prefix depth -e normal --all-features` per
//! member (xtask has no JSON parser: it is std only). Optional dependencies count, since a
//! feature could switch them on. The parsing and the rules are pure functions, unit tested on
//! canned text.

use crate::{Failure, Outcome, cargo, describe};
use std::fmt;
use std::fs;
use std::path::Path;

const DOMAIN: &str = "cube-domain";
const APP: &str = "cube-app";
const TESTKIT: &str = "cube-testkit";
/// Runtime and I/O crates that must not appear anywhere under `cube-domain`.
const RUNTIME_CRATES: &[&str] = &[
    "tokio", "sqlx", "axum", "hyper", "reqwest", "lettre", "rusqlite", "mio",
];
/// Folders holding workspace members, and what a member there is.
const FOLDERS: &[(&str, Place)] = &[
    ("crates", Place::Crates),
    ("adapters", Place::Adapters),
    ("apps", Place::Apps),
];

/// Where a workspace member lives, which decides the rules it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Crates,
    Adapters,
    Apps,
}

/// A workspace member found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub place: Place,
}

/// One package's normal dependency tree, in `cargo tree` order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub root: String,
    /// `(depth, name)` of every line below the root (depth 1 = direct dependency).
    pub deps: Vec<(usize, String)>,
}

impl Tree {
    fn direct(&self) -> impl Iterator<Item = &str> {
        self.deps
            .iter()
            .filter(|(depth, _)| *depth == 1)
            .map(|(_, name)| name.as_str())
    }

    /// Every occurrence of `name` in the tree, as the direct dependency that pulls it in
    /// (`None` when `name` is itself a direct dependency).
    fn paths_to(&self, name: &str) -> Vec<Option<&str>> {
        let mut via = None;
        let mut found = Vec::new();
        for (depth, dep) in &self.deps {
            if *depth == 1 {
                via = Some(dep.as_str());
            }
            if dep == name {
                let entry = if *depth == 1 { None } else { via };
                if !found.contains(&entry) {
                    found.push(entry);
                }
            }
        }
        found
    }
}

/// A dependency that crosses a wall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    pub package: String,
    pub dependency: String,
    /// The direct dependency that pulls `dependency` in, when it is not direct.
    pub via: Option<String>,
    pub reason: &'static str,
}

impl fmt::Display for Crossing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> ", self.package)?;
        if let Some(via) = &self.via {
            write!(f, "{via} -> … -> ")?;
        }
        write!(f, "{}: {}", self.dependency, self.reason)
    }
}

pub fn run(root: &Path) -> Outcome {
    let members = find_members(root)?;
    if members.is_empty() {
        println!("    no workspace members under crates/, adapters/ or apps/: nothing to check");
        return Ok(());
    }
    let mut crossings = Vec::new();
    for member in &members {
        let tree = parse_tree(&cargo_tree(&member.name)?)?;
        if tree.root != member.name {
            return Err(Failure::from(format!(
                "`cargo tree -p {}` describes `{}`",
                member.name, tree.root
            )));
        }
        crossings.extend(check(member, &tree, &members));
    }
    if crossings.is_empty() {
        println!("    {} crates checked, no wall crossed", members.len());
        return Ok(());
    }
    for crossing in &crossings {
        println!("    crossing: {crossing}");
    }
    Err(Failure::from(format!(
        "walls: {} architecture rule violation(s), listed above",
        crossings.len()
    )))
}

/// Members from `crates/*/Cargo.toml`, `adapters/*/Cargo.toml` and `apps/*/Cargo.toml`.
fn find_members(root: &Path) -> Result<Vec<Member>, Failure> {
    let mut members = Vec::new();
    for (folder, place) in FOLDERS {
        let Ok(entries) = fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.map_err(|error| format!("could not list {folder}/: {error}"))?;
            let manifest = entry.path().join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let text = fs::read_to_string(&manifest)
                .map_err(|error| format!("could not read {}: {error}", manifest.display()))?;
            let name = package_name(&text).ok_or_else(|| {
                format!("{}: no `name` in its [package] section", manifest.display())
            })?;
            members.push(Member {
                name,
                place: *place,
            });
        }
    }
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(members)
}

/// `cargo tree` for one member; offline first (fast, no network), online if that fails
/// (e.g. a fresh clone whose registry index is not cached yet).
fn cargo_tree(package: &str) -> Result<String, Failure> {
    let args = [
        "tree",
        "-p",
        package,
        "-e",
        "normal",
        "--all-features",
        "--prefix",
        "depth",
    ];
    let mut offline = cargo(&args);
    offline.arg("--offline");
    if let Ok(output) = offline.output()
        && output.status.success()
    {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let mut online = cargo(&args);
    let output = online
        .output()
        .map_err(|error| format!("could not run {}: {error}", describe(&online)))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(Failure::from(format!(
            "{} failed ({}):\n{}",
            describe(&online),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        )))
    }
}

/// The `name` in a manifest's `[package]` section (a minimal TOML reading: enough for
/// `name = "cube-domain"`).
pub fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "name" {
            continue;
        }
        let value = value.split('#').next().unwrap_or_default().trim();
        let name = value
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .or_else(|| {
                value
                    .strip_prefix('\'')
                    .and_then(|rest| rest.strip_suffix('\''))
            })?;
        return Some(name.to_owned());
    }
    None
}

/// Parses `cargo tree --prefix depth` output: lines like `0cube-app v0.1.0 (/path)`, then
/// `1cube-domain v0.1.0 (/path)`, `2serde v1.0.229`, `2proc-macro2 v1.0.107 (*)`.
pub fn parse_tree(text: &str) -> Result<Tree, String> {
    let mut tree = Tree::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let depth: usize = line[..digits]
            .parse()
            .map_err(|_| format!("unexpected `cargo tree` line (no depth): {line}"))?;
        let name = line[digits..]
            .split_whitespace()
            .next()
            .ok_or_else(|| format!("unexpected `cargo tree` line (no name): {line}"))?
            .to_owned();
        if depth == 0 {
            if !tree.root.is_empty() {
                return Err(format!("`cargo tree` output has two roots: {line}"));
            }
            tree.root = name;
        } else if tree.root.is_empty() {
            return Err(format!(
                "`cargo tree` output does not start with its root: {line}"
            ));
        } else {
            tree.deps.push((depth, name));
        }
    }
    if tree.root.is_empty() {
        return Err("`cargo tree` printed nothing".to_owned());
    }
    Ok(tree)
}

/// The walls `member` crosses, given its dependency tree and all workspace members.
pub fn check(member: &Member, tree: &Tree, members: &[Member]) -> Vec<Crossing> {
    let is_workspace =
        |name: &str| name.starts_with("cube-") || members.iter().any(|m| m.name == name);
    let place_of = |name: &str| members.iter().find(|m| m.name == name).map(|m| m.place);
    let name = member.name.as_str();
    let mut crossings = Vec::new();
    let mut cross = |dependency: &str, via: Option<&str>, reason: &'static str| {
        let crossing = Crossing {
            package: name.to_owned(),
            dependency: dependency.to_owned(),
            via: via.map(str::to_owned),
            reason,
        };
        if !crossings.contains(&crossing) {
            crossings.push(crossing);
        }
    };
    let direct_workspace: Vec<&str> = tree
        .direct()
        .filter(|dep| *dep != name && is_workspace(dep))
        .collect();

    if name == DOMAIN {
        for dep in &direct_workspace {
            cross(
                dep,
                None,
                "cube-domain is the pure core: it depends on no other workspace crate",
            );
        }
        for runtime in RUNTIME_CRATES {
            for via in tree.paths_to(runtime) {
                cross(
                    runtime,
                    via,
                    "cube-domain must stay free of runtime and I/O crates",
                );
            }
        }
    }

    if name == APP {
        // cube-testkit is reported by the rule below.
        for dep in direct_workspace
            .iter()
            .filter(|dep| **dep != DOMAIN && **dep != TESTKIT)
        {
            cross(
                dep,
                None,
                "cube-app may depend only on cube-domain among workspace crates",
            );
        }
    }

    let ships = name == DOMAIN || name == APP || member.place != Place::Crates;
    if ships && name != TESTKIT {
        for via in tree.paths_to(TESTKIT) {
            cross(
                TESTKIT,
                via,
                "cube-testkit is for tests only: make it a [dev-dependencies] entry",
            );
        }
    }

    if member.place == Place::Adapters {
        for dep in &direct_workspace {
            // cube-testkit is reported by the testkit rule.
            if *dep != TESTKIT && place_of(dep) != Some(Place::Crates) {
                cross(
                    dep,
                    None,
                    "an adapter may depend only on crates/* (never another adapter or an app)",
                );
            }
        }
    }

    crossings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, place: Place) -> Member {
        Member {
            name: name.to_owned(),
            place,
        }
    }

    fn workspace() -> Vec<Member> {
        vec![
            member("cube-app", Place::Crates),
            member("cube-domain", Place::Crates),
            member("cube-testkit", Place::Crates),
            member("cube-pg", Place::Adapters),
            member("cube-mail", Place::Adapters),
            member("cube-server", Place::Apps),
        ]
    }

    fn tree(text: &str) -> Tree {
        match parse_tree(text) {
            Ok(tree) => tree,
            Err(error) => panic!("canned tree does not parse: {error}"),
        }
    }

    fn crossings(name: &str, text: &str) -> Vec<(String, Option<String>)> {
        let members = workspace();
        let Some(member) = members.iter().find(|m| m.name == name) else {
            panic!("no member {name}");
        };
        check(member, &tree(text), &members)
            .into_iter()
            .map(|crossing| (crossing.dependency, crossing.via))
            .collect()
    }

    fn found(dependency: &str, via: Option<&str>) -> (String, Option<String>) {
        (dependency.to_owned(), via.map(str::to_owned))
    }

    const DOMAIN_OK: &str = "\
0cube-domain v0.1.0 (/work/main/crates/cube-domain)
1async-trait v0.1.92 (proc-macro)
2proc-macro2 v1.0.107
3unicode-ident v1.0.27
1serde v1.0.229
2serde_core v1.0.229
2serde_derive v1.0.229 (proc-macro)
3proc-macro2 v1.0.107 (*)
1uuid v1.29.3
";

    #[test]
    fn package_name_reads_the_package_section_only() {
        let manifest = "\
[workspace]
name = \"not-this\"

[package]
description = \"x\"
name = \"cube-domain\" # the core
version.workspace = true

[dependencies]
name = \"nor-this\"
";
        assert_eq!(package_name(manifest), Some("cube-domain".to_owned()));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
        assert_eq!(
            package_name("[package]\nname='cube-app'\n"),
            Some("cube-app".to_owned())
        );
    }

    #[test]
    fn parse_tree_reads_root_and_depths() {
        let parsed = tree(DOMAIN_OK);
        assert_eq!(parsed.root, "cube-domain");
        assert_eq!(parsed.deps.len(), 8);
        assert_eq!(parsed.deps[0], (1, "async-trait".to_owned()));
        assert_eq!(parsed.deps[6], (3, "proc-macro2".to_owned()));
        assert_eq!(
            parsed.direct().collect::<Vec<_>>(),
            ["async-trait", "serde", "uuid"]
        );
    }

    #[test]
    fn parse_tree_rejects_text_that_is_not_a_tree() {
        assert!(parse_tree("").is_err());
        assert!(parse_tree("cube-domain v0.1.0 (/x)").is_err());
        assert!(parse_tree("1serde v1.0.0").is_err());
        assert!(parse_tree("0a v1\n0b v1").is_err());
    }

    #[test]
    fn a_pure_domain_crosses_nothing() {
        assert!(crossings("cube-domain", DOMAIN_OK).is_empty());
    }

    #[test]
    fn the_domain_depends_on_no_workspace_crate() {
        let text = "0cube-domain v0.1.0 (/x)\n1cube-app v0.1.0 (/y)\n1serde v1.0.229\n";
        assert_eq!(crossings("cube-domain", text), [found("cube-app", None)]);
    }

    #[test]
    fn the_domain_pulls_no_runtime_crate_even_indirectly() {
        let text = "\
0cube-domain v0.1.0 (/x)
1tokio v1.54.1
2mio v1.0.0
1some-http v0.3.0
2hyper v1.0.0
3tokio v1.54.1 (*)
";
        assert_eq!(
            crossings("cube-domain", text),
            [
                found("tokio", None),
                found("tokio", Some("some-http")),
                found("hyper", Some("some-http")),
                found("mio", Some("tokio")),
            ]
        );
    }

    #[test]
    fn runtime_names_match_exactly() {
        let text = "0cube-domain v0.1.0 (/x)\n1tokio-util-free v1.0.0\n1miow v1.0.0\n";
        assert!(crossings("cube-domain", text).is_empty());
    }

    #[test]
    fn the_app_depends_only_on_the_domain() {
        let ok = "0cube-app v0.1.0 (/x)\n1cube-domain v0.1.0 (/y)\n1thiserror v2.0.21\n";
        assert!(crossings("cube-app", ok).is_empty());
        let bad = "0cube-app v0.1.0 (/x)\n1cube-domain v0.1.0 (/y)\n1cube-pg v0.1.0 (/z)\n";
        assert_eq!(crossings("cube-app", bad), [found("cube-pg", None)]);
    }

    #[test]
    fn the_testkit_never_ships() {
        let app = "0cube-app v0.1.0 (/x)\n1cube-domain v0.1.0 (/y)\n1cube-testkit v0.1.0 (/t)\n";
        assert_eq!(crossings("cube-app", app), [found("cube-testkit", None)]);
        let server = "\
0cube-server v0.1.0 (/s)
1cube-pg v0.1.0 (/p)
2cube-testkit v0.1.0 (/t)
1cube-testkit v0.1.0 (/t)
";
        assert_eq!(
            crossings("cube-server", server),
            [
                found("cube-testkit", Some("cube-pg")),
                found("cube-testkit", None)
            ]
        );
    }

    #[test]
    fn the_testkit_itself_may_use_the_app() {
        let text = "0cube-testkit v0.1.0 (/t)\n1cube-app v0.1.0 (/x)\n2cube-domain v0.1.0 (/y)\n";
        assert!(crossings("cube-testkit", text).is_empty());
    }

    #[test]
    fn an_adapter_depends_only_on_core_crates() {
        let ok =
            "0cube-pg v0.1.0 (/p)\n1cube-app v0.1.0 (/x)\n1cube-domain v0.1.0 (/y)\n1sqlx v0.8.0\n";
        assert!(crossings("cube-pg", ok).is_empty());
        let bad = "\
0cube-pg v0.1.0 (/p)
1cube-domain v0.1.0 (/y)
1cube-mail v0.1.0 (/m)
1cube-server v0.1.0 (/s)
1cube-unknown v0.1.0 (/u)
1cube-testkit v0.1.0 (/t)
";
        assert_eq!(
            crossings("cube-pg", bad),
            [
                found("cube-testkit", None),
                found("cube-mail", None),
                found("cube-server", None),
                found("cube-unknown", None),
            ]
        );
    }

    #[test]
    fn crossings_read_well() {
        let crossing = Crossing {
            package: "cube-domain".to_owned(),
            dependency: "tokio".to_owned(),
            via: Some("some-http".to_owned()),
            reason: "no runtime",
        };
        assert_eq!(
            crossing.to_string(),
            "cube-domain -> some-http -> … -> tokio: no runtime"
        );
    }
}
