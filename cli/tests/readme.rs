//! The documents a new user follows hold true: the README's curl
//! walkthrough runs as written against `heyway serve`, and no Markdown
//! file links outside the repository (the repository stands alone).

mod common;

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{free_port, heyway, serve};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ is in the repository")
        .to_path_buf()
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The marker the walkthrough's block follows.
const WALKTHROUGH_MARKER: &str = "<!-- walkthrough: cli/tests/readme.rs runs the block below -->";

/// The README's walkthrough: the fenced `sh` block after the marker.
fn walkthrough() -> String {
    let readme = readme();
    let after = readme
        .split_once(WALKTHROUGH_MARKER)
        .expect("the README marks its walkthrough")
        .1;
    let block = after
        .trim_start()
        .strip_prefix("```sh\n")
        .expect("a ```sh block follows the marker");
    block
        .split_once("\n```")
        .expect("the block is closed")
        .0
        .to_string()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    for tool in ["bash", "curl", "jq"] {
        let found = std::process::Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        assert!(found, "the README's walkthrough needs {tool} on PATH");
    }
    let script = walkthrough();
    assert!(script.contains("curl"), "{script}");
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve(data.path(), port, "heyway_readme_test");

    let mut child = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("API", format!("http://localhost:{port}"))
        .current_dir(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the walkthrough failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    // Each step printed what the README promises.
    for expected in [
        r#""quietHours":{"start":"00:00","end":"23:59"}"#,
        r#""callingRules":"off""#,
        r#""status":"pending","verified":false}"#,
        r#"{"preferredCallerID":"+12125550199"}"#,
        r#"{"plan":"paid","status":"active"}"#,
        r#""name":"Ada Park","phoneNumber":"+12125550100"}]}"#,
        r#""contactName":"Ada Park""#,
        r#""status": "completed""#,
        r#""answeredBy": "human""#,
        "\"user: ",
        r#""summary": "The agent"#,
    ] {
        assert!(stdout.contains(expected), "missing {expected}:\n{stdout}");
    }
    // The automation is due 7 days after today's purchase, at 18:00.
    let preview = stdout
        .lines()
        .find(|line| line.contains(r#""contactName":"Ada Park""#))
        .unwrap();
    assert!(preview.contains("T18:00:00-0"), "{preview}");
}

/// The `](target)` link targets and `<…>` autolinks of a Markdown text,
/// outside code spans and blocks.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block || line.starts_with("    ") {
            continue;
        }
        // Drop code spans: their text is not a link.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(" ");
        for (at, _) in prose.match_indices("](") {
            let rest = &prose[at + 2..];
            if let Some(end) = rest.find(')') {
                targets.push(rest[..end].trim().to_string());
            }
        }
        for (at, _) in prose.match_indices('<') {
            let rest = &prose[at + 1..];
            if let Some(end) = rest.find('>') {
                let inside = &rest[..end];
                if inside.contains("://") || inside.starts_with("mailto:") {
                    targets.push(inside.to_string());
                }
            }
        }
        if let Some(definition) = prose.trim_start().strip_prefix('[') {
            if let Some((_, target)) = definition.split_once("]: ") {
                targets.push(target.trim().to_string());
            }
        }
    }
    targets
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| slug(heading.trim_start_matches('#')))
        .collect()
}

/// Every Markdown file of the repository, skipping hidden folders
/// (`.git`, `.venv`, `.data`) and build output.
fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") {
            found.push(path);
        }
    }
}

/// `target` resolved against `from` without touching the file system;
/// `None` when it climbs above the root.
fn resolve(from: &Path, target: &str) -> Option<PathBuf> {
    let mut path = from.to_path_buf();
    for component in Path::new(target).components() {
        match component {
            Component::ParentDir => {
                if !path.pop() {
                    return None;
                }
            }
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

/// Documents whose job is to cite public sources (the calling rules and
/// where they are written): they may link the web. Every other document
/// stays inside the repository.
const CITING_FILES: [&str; 1] = ["docs/compliance.md"];

#[test]
fn no_markdown_file_links_outside_the_repository() {
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(files.len() >= 6, "{files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&root).unwrap().display().to_string();
        if text.contains("../shared") {
            problems.push(format!("{shown}: names ../shared, outside the repository"));
        }
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                let web_citation = target.starts_with("https://") || target.starts_with("http://");
                if web_citation && CITING_FILES.contains(&shown.as_str()) {
                    continue;
                }
                problems.push(format!("{shown}: links outside the repository: {target}"));
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if path.is_empty() {
                Some(file.clone())
            } else {
                let dir = file.parent().unwrap().strip_prefix(&root).unwrap();
                resolve(dir, path).map(|relative| root.join(relative))
            };
            let Some(linked) = linked else {
                problems.push(format!("{shown}: {target} leads outside the repository"));
                continue;
            };
            if !linked.exists() {
                problems.push(format!("{shown}: {target} does not exist"));
                continue;
            }
            if !anchor.is_empty() && linked.extension().is_some_and(|e| e == "md") {
                let headings = anchors(&std::fs::read_to_string(&linked).unwrap());
                if !headings.iter().any(|h| h == anchor) {
                    problems.push(format!("{shown}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_link_check_sees_what_it_must_refuse() {
    let targets = link_targets(
        "See [schema](../shared/seed/database-schema.md), [web](https://example.test/x) \
         and <https://example.test>. `[code](not/a/link)`\n\n    [indented](code.md)\n",
    );
    assert_eq!(
        targets,
        [
            "../shared/seed/database-schema.md",
            "https://example.test/x",
            "https://example.test"
        ]
    );
    assert_eq!(resolve(Path::new("docs"), "../../shared/x.md"), None);
    assert_eq!(
        resolve(Path::new("docs"), "../README.md"),
        Some(PathBuf::from("README.md"))
    );
    assert_eq!(
        slug("Indexes `heyway migrate` creates"),
        "indexes-heyway-migrate-creates"
    );
    assert_eq!(
        slug("Keys, and who can use the sandboxes"),
        "keys-and-who-can-use-the-sandboxes"
    );
}

/// The README's table of commands and the binary's own list agree.
#[test]
fn the_readme_lists_every_command_of_the_binary() {
    let readme = readme();
    let table = readme
        .split_once("| command | what |\n| --- | --- |\n")
        .expect("the README's table of commands")
        .1;
    let mut documented: Vec<&str> = table
        .lines()
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|row| row.split([' ', '`']).next())
        .collect();
    documented.sort_unstable();
    let output = heyway(&["--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    let mut commands: Vec<&str> = help
        .split_once("Commands:")
        .expect("clap lists the commands")
        .1
        .trim_start_matches('\n')
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    commands.sort_unstable();
    assert_eq!(documented, commands, "{table}\n{help}");
}
