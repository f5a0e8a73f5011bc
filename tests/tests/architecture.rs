//! The architecture of the core crate (`shared/src`, package `heyway-core`),
//! checked by reading its sources.
//!
//! # Layers
//!
//! The crate is four layers; code uses its own layer and those below it,
//! never one above:
//!
//! ```text
//! app        app.rs or app/       the composition root: routers, entry points
//! features   features/<name>/     one folder (or file) per resource or job
//! http       http/                the toolkit every route uses
//! base       error.rs, model/, schedule/, infra/, integrations/
//! ```
//!
//! The base layer is ordered too: `error` < `model` < `schedule` < `infra` <
//! `integrations`, and a base module uses only itself and those before it.
//! `lib.rs` only declares modules and re-exports; a path through a
//! re-export, such as `crate::Config`, counts as a use of the module the
//! name comes from (read from `lib.rs`'s `use` items). A top module outside
//! these layers fails the test until it is moved into one.
//!
//! A use is a `crate::…` path, or a `super::…` path resolved from the
//! module it is written in, in a `use` item, an expression, a type, a
//! pattern or among a macro's tokens (`doc! { … }`, `format!(…)`). Comments,
//! doc comments and other attributes are not uses. Unit-test modules follow
//! the same rules as the code around them.
//!
//! # Features
//!
//! A feature uses another only along [`FEATURE_GRAPH`], which must stay
//! acyclic: no two features use each other, directly or in a longer loop.
//! Every feature has the same file names for the same jobs: handlers in
//! `routes.rs`, logic in `service.rs`, queries in `repo.rs`, response shapes
//! in `view.rs`.
//!
//! # Adding a feature
//!
//! 1. Create `shared/src/features/<name>/` (or `<name>.rs` when it is small)
//!    and declare it in `features/mod.rs`.
//! 2. Add it to [`FEATURE_GRAPH`] with the features it may use; if one of
//!    those would need to use it back, move what they share into a third
//!    feature or down into the base layer instead.
//! 3. Mount its routes or entry points in `app`.
//!
//! # Other rules
//!
//! - Only a feature's repo (`repo.rs` or `repo/`), the store (`infra/store`)
//!   and the migrations (`infra/indexes.rs`, `infra/migrations…`) touch raw
//!   documents: `.raw(…)`, `"updatedAt"`, `"$set"`.
//! - No Lambda in `functions/`, and not the core itself, depends on the
//!   development crate `heyway-dev`, directly or through another crate.
//! - A function over 80 lines says why in its doc comment: `/// Long: …`.
//!
//! Run it alone with `cargo test -p heyway-tests --test architecture`; set
//! `ARCHITECTURE_ROOT` to check another checkout with the same rules.

#[path = "architecture/mod.rs"]
mod architecture;

use std::collections::BTreeMap;

use architecture::crate_root::CrateRoot;
use architecture::graph::{cycles, Graph};
use architecture::layers::{Place, BASE_MODULES};
use architecture::long_functions::{unexplained_long_functions, MAX_LINES};
use architecture::manifests::{Manifest, Workspace};
use architecture::raw_documents::{may_touch_raw_documents, raw_touches};
use architecture::references::{all_references, Reference};
use architecture::report::{assert_none, Violation};
use architecture::sources::{
    core_files, crate_root_file, entries, module_path, read, rust_files_under, workspace_root,
    SourceFile, CORE_SRC,
};

/// Each feature, and the features it may use. Every feature under
/// `shared/src/features/` is listed, so a new one has to take its place here.
#[rustfmt::skip]
const FEATURE_GRAPH: &[(&str, &[&str])] = &[
    ("apple_subscriptions", &[]),
    ("auth", &["me"]),
    ("automations", &["do_not_call", "dialer"]),
    ("billing", &[]),
    ("caller_ids", &[]),
    ("calls", &["scheduled_calls", "idempotency", "dialer"]),
    ("contact_lists", &["membership"]),
    ("contacts", &["do_not_call"]),
    (
        "dialer",
        &["caller_ids", "recordings", "scheduled_calls", "billing", "do_not_call"],
    ),
    ("do_not_call", &[]),
    (
        "evaluator",
        &["automations", "scheduled_calls", "billing", "do_not_call"],
    ),
    ("feedback", &[]),
    ("groups", &["membership"]),
    ("health", &[]),
    ("idempotency", &[]),
    ("me", &["caller_ids"]),
    ("membership", &[]),
    ("recordings", &[]),
    ("scheduled_calls", &["idempotency"]),
    (
        "webhooks",
        &[
            "calls",
            "scheduled_calls",
            "billing",
            "apple_subscriptions",
            "caller_ids",
            "recordings",
            "do_not_call",
        ],
    ),
];

/// The development-only crate (sandboxes, local database), by package name.
const DEV_CRATE: &str = "heyway-dev";

/// File names a feature does not use, and what to use instead.
const RETIRED_FILE_NAMES: [(&str, &str); 5] = [
    ("handlers", "routes.rs"),
    ("crud", "service.rs and repo.rs"),
    ("write", "service.rs and repo.rs"),
    ("stores", "repo.rs"),
    ("webhook_route", "routes.rs"),
];

#[test]
fn lower_layers_never_import_higher_ones() {
    let files = core_files();
    let root = CrateRoot::read(&crate_root_file(&files).syntax);
    let mut violations = modules_outside_the_layers(&files);
    for reference in all_references(&files, &root) {
        if !reference.from.may_use(&reference.to) {
            let (from, to) = (&reference.from, &reference.to);
            let message = format!("`{}`: {from} may not use {to}", reference.written);
            violations.push(Violation::at(reference.file, reference.line, message));
        }
    }
    let how_to_fix = format!(
        "Layers, lowest first: base ({}), http, features, app. Move the code \
         used down to the layer of its lowest user, or the user up.",
        BASE_MODULES.join(" < ")
    );
    assert_none(
        violations,
        "uses of a higher layer, or modules outside the layers",
        &how_to_fix,
    );
}

/// One violation per top module that is in no layer: `shared/src/contacts`.
fn modules_outside_the_layers(files: &[SourceFile]) -> Vec<Violation> {
    let mut outside: BTreeMap<String, usize> = BTreeMap::new();
    for file in files {
        if let Place::Unknown { .. } = Place::of(&file.module) {
            let top = file.relative.split('/').next().unwrap_or_default();
            *outside.entry(format!("{CORE_SRC}/{top}")).or_default() += 1;
        }
    }
    let into_violation = |(module, count): (String, usize)| {
        let files = if count == 1 { "file" } else { "files" };
        let message = format!("not in a known layer ({count} {files})");
        Violation::of(module, message)
    };
    outside.into_iter().map(into_violation).collect()
}

#[test]
fn features_import_each_other_along_the_written_graph() {
    let files = core_files();
    let root = CrateRoot::read(&crate_root_file(&files).syntax);
    let uses = feature_uses(all_references(&files, &root));
    let mut violations = problems_in_the_written_graph();
    violations.extend(features_missing_from_the_graph());
    violations.extend(uses_outside_the_graph(&uses));
    violations.extend(features_using_each_other(&uses));
    // Two features using each other are reported above, naming both.
    let loops = cycles(&graph_of(&uses)).into_iter();
    for cycle in loops.filter(|cycle| cycle.len() > 3) {
        let message = format!("features use each other in a loop: {}", cycle.join(" → "));
        violations.push(Violation::of(format!("{CORE_SRC}/features"), message));
    }
    let how_to_fix = "A feature may use only the features FEATURE_GRAPH lists for it, \
                      and the graph has no loops. Move what two features share into a \
                      third one or into the base layer, or change FEATURE_GRAPH.";
    assert_none(
        violations,
        "problems in how features use each other",
        how_to_fix,
    );
}

/// Each use of one feature by another, by (user, used) pair.
type FeatureUses = BTreeMap<(String, String), Vec<Reference>>;

/// The references from one feature into another, by pair.
fn feature_uses(references: Vec<Reference>) -> FeatureUses {
    let mut uses = FeatureUses::new();
    for reference in references {
        let (Some(from), Some(to)) = (reference.from.feature(), reference.to.feature()) else {
            continue;
        };
        if from != to {
            let pair = (from.to_string(), to.to_string());
            uses.entry(pair).or_default().push(reference);
        }
    }
    uses
}

/// Every use of a feature that FEATURE_GRAPH does not allow.
fn uses_outside_the_graph(uses: &FeatureUses) -> Vec<Violation> {
    let written = written_graph();
    let allowed = |from: &str, to: &str| written.get(from).is_some_and(|uses| uses.contains(to));
    let mut violations = Vec::new();
    for ((from, to), references) in uses {
        if allowed(from, to) {
            continue;
        }
        for reference in references {
            let message = format!(
                "`{}`: feature `{from}` uses `{to}`, which FEATURE_GRAPH does not allow",
                reference.written
            );
            violations.push(Violation::at(&reference.file, reference.line, message));
        }
    }
    violations
}

/// A violation per pair of features that use each other, naming both.
fn features_using_each_other(uses: &FeatureUses) -> Vec<Violation> {
    let first_use = |pair: &(String, String)| {
        let reference = &uses[pair][0];
        format!("{}:{}", reference.file, reference.line)
    };
    let mut violations = Vec::new();
    for (a, b) in uses.keys() {
        let back = (b.clone(), a.clone());
        if a < b && uses.contains_key(&back) {
            let message = format!(
                "features `{a}` and `{b}` use each other ({a} → {b} at {}, {b} → {a} at {})",
                first_use(&(a.clone(), b.clone())),
                first_use(&back)
            );
            violations.push(Violation::of(format!("{CORE_SRC}/features"), message));
        }
    }
    violations
}

/// The features each feature uses.
fn graph_of(uses: &FeatureUses) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in uses.keys() {
        graph.entry(from.clone()).or_default().insert(to.clone());
    }
    graph
}

/// FEATURE_GRAPH as a graph.
fn written_graph() -> Graph {
    let uses = |used: &[&str]| used.iter().map(|name| name.to_string()).collect();
    (FEATURE_GRAPH.iter())
        .map(|(feature, used)| (feature.to_string(), uses(used)))
        .collect()
}

/// Names listed twice, used but not listed, or used by themselves, and
/// loops, in FEATURE_GRAPH.
fn problems_in_the_written_graph() -> Vec<Violation> {
    let written = written_graph();
    let mut problems = Vec::new();
    if written.len() != FEATURE_GRAPH.len() {
        problems.push("lists a feature twice".to_string());
    }
    for (feature, used) in &written {
        for name in used {
            if name == feature {
                problems.push(format!("lets `{feature}` use itself"));
            } else if !written.contains_key(name) {
                problems.push(format!(
                    "lets `{feature}` use `{name}`, which it does not list"
                ));
            }
        }
    }
    for cycle in cycles(&written) {
        problems.push(format!("has a loop: {}", cycle.join(" → ")));
    }
    let into_violation = |problem| Violation::of("FEATURE_GRAPH", problem);
    problems.into_iter().map(into_violation).collect()
}

/// The features on disk but not in FEATURE_GRAPH, and the other way round.
fn features_missing_from_the_graph() -> Vec<Violation> {
    let on_disk = features_on_disk();
    let written = written_graph();
    let folder = format!("{CORE_SRC}/features");
    let mut violations = Vec::new();
    for feature in on_disk.iter().filter(|name| !written.contains_key(*name)) {
        let message = "not in FEATURE_GRAPH: list it with the features it may use";
        violations.push(Violation::of(format!("{folder}/{feature}"), message));
    }
    for feature in written.keys().filter(|name| !on_disk.contains(*name)) {
        let message = format!("lists `{feature}`, which is not in {folder}");
        violations.push(Violation::of("FEATURE_GRAPH", message));
    }
    violations
}

/// The features: each folder under `features/`, and each file but `mod.rs`.
fn features_on_disk() -> Vec<String> {
    let folder = workspace_root().join(CORE_SRC).join("features");
    let feature_name = |(name, is_dir): (String, bool)| {
        if is_dir {
            return Some(name);
        }
        let module = name.strip_suffix(".rs")?;
        (module != "mod").then(|| module.to_string())
    };
    entries(&folder)
        .into_iter()
        .filter_map(feature_name)
        .collect()
}

#[test]
fn only_repos_the_store_and_migrations_touch_raw_documents() {
    let mut violations = Vec::new();
    for file in core_files() {
        if may_touch_raw_documents(&file.relative) {
            continue;
        }
        for touch in raw_touches(&file.syntax) {
            violations.push(Violation::at(file.display(), touch.line, touch.what));
        }
    }
    let how_to_fix = "Only a feature's repo (features/<x>/repo.rs or repo/), the store \
                      (infra/store) and the migrations (infra/indexes.rs, \
                      infra/migrations*) read or write raw documents (.raw(…), \
                      \"updatedAt\", \"$set\"). Move the query into the feature's repo.";
    assert_none(
        violations,
        "raw document touches outside repos, the store and migrations",
        how_to_fix,
    );
}

#[test]
fn no_function_depends_on_the_dev_crate() {
    let workspace = Workspace::read();
    let root = workspace_root();
    let functions = entries(&root.join("functions")).into_iter();
    let function_dirs = functions
        .filter(|(_, is_dir)| *is_dir)
        .map(|(name, _)| format!("functions/{name}"));
    let mut violations = Vec::new();
    for crate_dir in function_dirs.chain(["shared".to_string()]) {
        let manifest = Manifest::read(&root.join(&crate_dir));
        if let Some(chain) = workspace.chain_to(&manifest, DEV_CRATE) {
            let message = format!("depends on {DEV_CRATE}: {}", chain.join(" → "));
            violations.push(Violation::of(format!("{crate_dir}/Cargo.toml"), message));
        }
    }
    let how_to_fix = format!(
        "{DEV_CRATE} (sandboxes, local database) is for the heyway command and the \
         tests only: what a Lambda needs belongs in heyway-core."
    );
    assert_none(
        violations,
        "deployed crates that depend on the dev crate",
        &how_to_fix,
    );
}

#[test]
fn no_long_functions_without_a_reason() {
    let mut violations = Vec::new();
    for file in core_files() {
        for function in unexplained_long_functions(&file.syntax) {
            let message = format!("fn {} is {} lines long", function.name, function.lines);
            violations.push(Violation::at(file.display(), function.line, message));
        }
    }
    let how_to_fix = format!(
        "Split a function over {MAX_LINES} lines (from `fn` to its closing brace), \
         or say why it is long in its doc comment: `/// Long: <reason>`."
    );
    assert_none(violations, "long functions without a reason", &how_to_fix);
}

#[test]
fn features_use_the_same_file_names() {
    let features = workspace_root().join(CORE_SRC).join("features");
    let mut violations = Vec::new();
    for relative in rust_files_under(&features) {
        let modules = module_path(&relative);
        for (retired, instead) in RETIRED_FILE_NAMES {
            if modules.iter().skip(1).any(|module| module == retired) {
                let place = format!("{CORE_SRC}/features/{relative}");
                let message = format!("a feature has no `{retired}` module: use {instead}");
                violations.push(Violation::of(place, message));
            }
        }
    }
    let how_to_fix = "In a feature, handlers go in routes.rs, logic in service.rs, \
                      queries in repo.rs, response shapes in view.rs.";
    assert_none(violations, "feature files with retired names", how_to_fix);
}

/// Files that may name utoipa-axum's router and `routes!`: the toolkit's
/// [`routes!`](heyway's `http::routes!`) and the document's composition.
const OPENAPI_ROUTER_FILES: [&str; 3] = ["http/routes.rs", "http/mod.rs", "app/openapi.rs"];

#[test]
fn handlers_are_registered_through_the_toolkits_routes_macro() {
    let src = workspace_root().join(CORE_SRC);
    let mut violations = Vec::new();
    for relative in rust_files_under(&src) {
        if OPENAPI_ROUTER_FILES.contains(&relative.as_str()) {
            continue;
        }
        let text = read(&src.join(&relative));
        for (index, line) in text.lines().enumerate() {
            if line.contains("utoipa_axum") {
                let message = "names utoipa_axum: register handlers with crate::http::routes!";
                violations.push(Violation::at(
                    format!("{CORE_SRC}/{relative}"),
                    index + 1,
                    message,
                ));
            }
        }
    }
    let how_to_fix = "utoipa-axum's routes! builds every handler's OpenAPI operation and \
                      schemas, which would link them into each Lambda; crate::http::routes! \
                      does so only with the `openapi` feature (heyway and the tests).";
    assert_none(
        violations,
        "handlers registered with utoipa-axum directly",
        how_to_fix,
    );
}
