//! File discovery and pairing on temporary directories, with a stand-in JSON classifier (the
//! real one belongs to the ARM front end).

use acr_cmk::arm::JsonKind;
use acr_cmk::lint::discover::{self, Excludes, Lang, Plan, Using, bicepparam_using};
use std::path::{Path, PathBuf};

fn detect(text: &str) -> JsonKind {
    if text.contains("BROKEN") {
        JsonKind::Unparseable
    } else if text.contains("deploymentTemplate") {
        JsonKind::Template
    } else if text.contains("deploymentParameters") {
        JsonKind::Parameters
    } else if text.trim_start().starts_with('{') {
        JsonKind::Other
    } else {
        JsonKind::Unparseable
    }
}

const TEMPLATE: &str = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}"#;
const PARAMS: &str = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"}"#;

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Tree { dir }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn rel(&self, display: &str) -> String {
        let root = format!("{}/", discover::display(self.dir.path()));
        display.strip_prefix(&root).unwrap_or(display).to_string()
    }
    fn discover(&self, paths: &[&str], exclude: &[&str], params: &[&str]) -> Plan {
        let excludes = Excludes::new(
            &exclude.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &[],
            None,
            self.dir.path(),
        )
        .unwrap();
        let paths: Vec<PathBuf> = paths.iter().map(|p| self.path(p)).collect();
        let params: Vec<PathBuf> = params.iter().map(|p| self.path(p)).collect();
        let root = acr_cmk::read::Root::new(self.dir.path()).unwrap();
        discover::discover(&paths, &excludes, &params, &detect, &root)
    }
    /// Each job as "primary <- param, param".
    fn jobs(&self, plan: &Plan) -> Vec<String> {
        plan.jobs
            .iter()
            .map(|j| {
                let params: Vec<String> = j.params.iter().map(|(n, _)| self.rel(n)).collect();
                let lang = match j.lang {
                    Lang::Arm => "arm",
                    Lang::Bicep => "bicep",
                };
                format!("{lang} {} <- [{}]", self.rel(&j.display), params.join(", "))
            })
            .collect()
    }
    fn checked(&self, plan: &Plan) -> Vec<String> {
        plan.checked.iter().map(|c| self.rel(c)).collect()
    }
    fn skipped(&self, plan: &Plan) -> Vec<String> {
        plan.skipped
            .iter()
            .map(|s| format!("{}: {}", self.rel(&s.file), s.reason))
            .collect()
    }
    fn problems(&self, plan: &Plan) -> Vec<String> {
        plan.problems
            .iter()
            .map(|s| format!("{}: {}", self.rel(&s.file), s.message))
            .collect()
    }
}

fn sample() -> Tree {
    Tree::new(&[
        ("main.json", TEMPLATE),
        ("main.parameters.json", PARAMS),
        ("nested/azuredeploy.json", TEMPLATE),
        ("nested/azuredeploy.parameters.json", PARAMS),
        ("package.json", "{\"name\": \"x\"}"),
        (
            "broken.jsonc",
            "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", BROKEN",
        ),
        ("tsconfig.json", "{ BROKEN, }"),
        ("README.md", "# not linted"),
        ("infra/app.bicep", "param x string\n"),
        (
            "infra/app.bicepparam",
            "// dev\nusing './app.bicep'\nparam x = 'dev'\n",
        ),
        (
            "infra/prod.bicepparam",
            "using 'app.bicep'\nparam x = 'prod'\n",
        ),
        (".hidden/secret.json", TEMPLATE),
        (".gitignore", "ignored/\n"),
        ("ignored/gen.json", TEMPLATE),
    ])
}

#[test]
fn walks_pairs_and_skips() {
    let t = sample();
    let plan = t.discover(&["."], &[], &[]);
    assert_eq!(
        t.jobs(&plan),
        [
            // Unparseable JSON still goes to the ARM front end, which reports ARM000.
            "arm broken.jsonc <- []",
            "bicep infra/app.bicep <- [infra/app.bicepparam]",
            "bicep infra/app.bicep <- [infra/prod.bicepparam]",
            "arm main.json <- [main.parameters.json]",
            "arm nested/azuredeploy.json <- [nested/azuredeploy.parameters.json]",
        ]
    );
    assert_eq!(
        t.checked(&plan),
        [
            "broken.jsonc",
            "infra/app.bicep",
            "infra/app.bicepparam",
            "infra/prod.bicepparam",
            "main.json",
            "main.parameters.json",
            "nested/azuredeploy.json",
            "nested/azuredeploy.parameters.json",
        ]
    );
    // Hidden and gitignored files are not walked (no git repository needed); README.md is not
    // a candidate at all; package.json is JSON but neither template nor parameters;
    // tsconfig.json does not parse and has no ARM schema, so it is not reported as ARM000.
    assert_eq!(
        t.skipped(&plan),
        [
            "package.json: not an ARM template or parameters file",
            "tsconfig.json: not valid JSON, and no ARM template or parameters $schema in it",
        ]
    );
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
}

#[test]
fn excludes_match_paths_and_names() {
    let t = sample();
    let plan = t.discover(&["."], &["nested/**", "*.bicep*", "broken.jsonc"], &[]);
    assert_eq!(t.jobs(&plan), ["arm main.json <- [main.parameters.json]"]);
    let plan = t.discover(&["."], &["nested"], &[]);
    assert!(!t.jobs(&plan).iter().any(|j| j.contains("nested/")));
}

#[test]
fn named_files_bypass_gitignore_but_not_excludes() {
    let t = sample();
    let plan = t.discover(&["ignored/gen.json", ".hidden/secret.json"], &[], &[]);
    assert_eq!(
        t.jobs(&plan),
        [
            "arm .hidden/secret.json <- []",
            "arm ignored/gen.json <- []"
        ]
    );
    let plan = t.discover(&["ignored/gen.json", "README.md"], &["gen.json"], &[]);
    assert!(plan.jobs.is_empty());
    assert_eq!(
        t.skipped(&plan),
        [
            "README.md: not a .json, .jsonc, .bicep or .bicepparam file",
            "ignored/gen.json: excluded",
        ]
    );
}

#[test]
fn a_parameters_file_alone_lints_its_template() {
    let t = sample();
    let plan = t.discover(&["main.parameters.json"], &[], &[]);
    assert_eq!(t.jobs(&plan), ["arm main.json <- [main.parameters.json]"]);
    // The same for a .bicepparam: its `using` target is linted.
    let plan = t.discover(&["infra/prod.bicepparam"], &[], &[]);
    assert_eq!(
        t.jobs(&plan),
        ["bicep infra/app.bicep <- [infra/prod.bicepparam]"]
    );
}

#[test]
fn a_bicep_file_alone_gets_its_same_stem_bicepparam() {
    let t = sample();
    let plan = t.discover(&["infra/app.bicep"], &[], &[]);
    assert_eq!(
        t.jobs(&plan),
        ["bicep infra/app.bicep <- [infra/app.bicepparam]"]
    );
}

#[test]
fn explicit_parameters_apply_to_every_template_after_the_paired_file() {
    let t = sample();
    let plan = t.discover(
        &["main.json", "infra/app.bicep"],
        &[],
        &["nested/azuredeploy.parameters.json"],
    );
    assert_eq!(
        t.jobs(&plan),
        [
            "bicep infra/app.bicep <- [infra/app.bicepparam, nested/azuredeploy.parameters.json]",
            "arm main.json <- [main.parameters.json, nested/azuredeploy.parameters.json]",
        ]
    );
}

#[test]
fn a_bicepparam_given_with_parameters_applies_to_bicep_only() {
    let t = sample();
    let plan = t.discover(
        &["main.json", "infra/app.bicep"],
        &[],
        &["infra/prod.bicepparam"],
    );
    assert_eq!(
        t.jobs(&plan),
        [
            "bicep infra/app.bicep <- [infra/app.bicepparam, infra/prod.bicepparam]",
            "arm main.json <- [main.parameters.json]",
        ]
    );
}

#[test]
fn the_same_file_named_twice_is_linted_once() {
    let t = sample();
    let plan = t.discover(&["main.json", ".", "./main.json"], &[], &[]);
    assert_eq!(
        t.jobs(&plan)
            .iter()
            .filter(|j| j.starts_with("arm main.json"))
            .count(),
        1
    );
}

#[test]
fn unreadable_and_missing_inputs_are_problems_and_the_rest_is_linted() {
    let t = Tree::new(&[
        ("good.json", TEMPLATE),
        ("app.bicepparam", "using './gone.bicep'\n"),
    ]);
    std::fs::write(t.path("latin1.json"), b"{\"name\": \"caf\xe9\"}").unwrap();
    let plan = t.discover(&[".", "missing.json"], &[], &["nope.parameters.json"]);
    assert_eq!(t.jobs(&plan), ["arm good.json <- []"]);
    let mut problems = t.problems(&plan);
    problems.sort();
    assert_eq!(
        problems,
        [
            "latin1.json: invalid UTF-8 at line 1, byte column 14 (byte offset 13)",
            "missing.json: no such file or directory",
            "nope.parameters.json: no such file or directory",
        ]
    );
    // A `using` target that does not exist is reported on the path (BICEP000 in the driver).
    let unresolved: Vec<_> = plan
        .unresolved
        .iter()
        .map(|u| (t.rel(&u.display), u.span.clone(), u.written.as_str()))
        .collect();
    assert_eq!(
        unresolved,
        [("app.bicepparam".to_string(), 6..20, "./gone.bicep")]
    );
}

#[test]
fn using_statements() {
    assert_eq!(
        bicepparam_using(
            "\u{feff}/* header */\n// c\n#disable-next-line x\nusing './main.bicep'\n"
        ),
        Using::Path("./main.bicep".into())
    );
    assert_eq!(bicepparam_using("using none\nparam x = 1"), Using::Opaque);
    assert_eq!(
        bicepparam_using("using 'br/public:avm/res/x:1.0'\n"),
        Using::Opaque
    );
    assert_eq!(bicepparam_using("param x = 1\n"), Using::Missing);
    assert_eq!(
        bicepparam_using(
            "import {a} from 'types.bicep'\n/* using 'no.bicep'\n*/ using 'yes.bicep'\n"
        ),
        Using::Path("yes.bicep".into())
    );
    assert_eq!(
        bicepparam_using("param usingX = 1\nusing\t'm.bicep'"),
        Using::Path("m.bicep".into())
    );
}

#[test]
fn excludes_from_config_are_relative_to_the_config_file() {
    let t = sample();
    let excludes = Excludes::new(
        &[],
        &["nested/**".into()],
        Some(t.dir.path()),
        &t.path("nested"),
    )
    .unwrap();
    assert!(excludes.is_excluded(Path::new("azuredeploy.json")));
    assert!(!excludes.is_excluded(&t.path("main.json")));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_refused_not_read() {
    let t = Tree::new(&[]);
    let fifo = t.path("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo unavailable; skipping");
        return;
    }
    let plan = t.discover(&["pipe.json"], &[], &[]);
    assert_eq!(
        t.problems(&plan),
        ["pipe.json: is a FIFO, not a regular file"]
    );
}
