//! The Bicep compiler's own sample baselines (`../shared/bicep-compiler-samples`, from Azure/bicep
//! at 9beb0fe, `src/Bicep.Core.Samples/Files/`) as the oracle for the grammar and the front end.
//! A sample whose `main.diagnostics.bicep` (or `parameters.diagnostics.bicepparam`) holds an
//! `Error` is one the compiler rejects; every other one it accepts, and then:
//!
//! - every `.bicep` / `.bicepparam` source of the sample parses with no ERROR or MISSING node;
//! - `main.bicep` loads through the front end (its modules followed) without BICEP000 and agrees
//!   with the compiler's `main.json` by the comparisons of `corpus/bicep_oracle.rs`
//!   (`oracle_support`): every type and type@apiVersion the front end deploys is compiled, every
//!   unconditional resource of a symbolic-name template is modelled, and every compiled
//!   dependency between modelled resources is found;
//! - a `.bicepparam` sample loads (with its `using` target) without BICEP000, and its
//!   parameters are the compiled `parameters.json`'s: the same names, and the same value
//!   wherever the front end knows the value.
//!
//! A sample the compiler rejects with a *syntax* error (a code its lexer or parser emits,
//! [`SYNTAX_CODES`]) gets a BICEP000 on the line of the compiler's first syntax error.
//!
//! The load rates (files, top-level statements, `.bicepparam` files) are printed with
//! `--nocapture`. The samples are outside the crate: the test skips with a note when they are
//! missing, but fails when `CI` is set.

mod corpus_support;
mod oracle_support;
use acr_cmk::bicep;
use acr_cmk::model::{Node, Value};
use std::path::{Path, PathBuf};

fn samples() -> Option<PathBuf> {
    corpus_support::shared("bicep-compiler-samples")
}

/// The diagnostic codes of the Bicep compiler's lexer and parser at the samples' commit: the
/// `DiagnosticBuilder` methods that `src/Bicep.Core/Parsing/{Lexer,BaseParser,Parser,
/// ParamsParser}.cs` call. Left out, because they are not about the grammar: BCP024
/// (identifier longer than 255), BCP032 / BCP087 (compile-time constant required), BCP226
/// (`#disable-next-line` without a code), BCP322 (`.?` on a function call), BCP375.
const SYNTAX_CODES: &[&str] = &[
    "BCP001", "BCP002", "BCP003", "BCP004", "BCP005", "BCP006", "BCP007", "BCP008", "BCP009",
    "BCP010", "BCP011", "BCP012", "BCP013", "BCP015", "BCP016", "BCP017", "BCP018", "BCP019",
    "BCP020", "BCP021", "BCP022", "BCP023", "BCP064", "BCP068", "BCP096", "BCP097", "BCP103",
    "BCP117", "BCP118", "BCP123", "BCP133", "BCP136", "BCP140", "BCP162", "BCP167", "BCP201",
    "BCP202", "BCP236", "BCP237", "BCP238", "BCP243", "BCP257", "BCP266", "BCP279", "BCP300",
    "BCP305", "BCP317", "BCP325", "BCP337", "BCP344", "BCP346", "BCP347", "BCP354", "BCP355",
    "BCP356", "BCP404", "BCP436",
];

/// One compiler diagnostic of a baseline: `//@[start:end) [CODE (Level)] message |text|` under
/// the source line it is about (0-based line, columns in characters).
struct Diagnostic {
    line: usize,
    column: usize,
    code: String,
    error: bool,
}

fn diagnostics(baseline: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The 0-based number of the last source line (annotation lines are not source lines).
    let mut line: Option<usize> = None;
    for l in baseline.lines() {
        let Some(rest) = l.strip_prefix("//@[") else {
            line = Some(line.map_or(0, |n| n + 1));
            continue;
        };
        let column = rest
            .split(':')
            .next()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(0);
        let Some(tag) = rest.split_once(") [").map(|(_, t)| t) else {
            continue;
        };
        let Some((code, level)) = tag.split_once(" (") else {
            continue;
        };
        out.push(Diagnostic {
            line: line.unwrap_or(0),
            column,
            code: code.to_string(),
            error: level.starts_with("Error)"),
        });
    }
    out
}

fn baseline_diagnostics(dir: &Path, baseline: &str) -> Option<Vec<Diagnostic>> {
    let text = std::fs::read_to_string(dir.join(baseline)).ok()?;
    Some(diagnostics(&text))
}

fn is_source(p: &Path, ext: &str) -> bool {
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    // The compiler's other baselines share the extension: main.diagnostics.bicep,
    // parameters.syntax.bicepparam, …
    p.extension().is_some_and(|e| e == ext)
        && !["diagnostics", "syntax", "tokens", "symbols", "formatted"]
            .iter()
            .any(|b| name.contains(&format!(".{b}.")))
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Top-level statements of a file, by the byte offset of their first keyword: a line that
/// starts (at column 0) with a statement keyword, outside multi-line strings and comments. A
/// measure independent of the grammar, for the statement load rate.
fn statement_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut in_multiline = false;
    let mut in_comment = false;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let was_code = !in_multiline && !in_comment;
        in_multiline ^= line.matches("'''").count() % 2 == 1;
        if !in_multiline {
            if line.contains("/*") && !line.contains("*/") {
                in_comment = true;
            } else if in_comment && line.contains("*/") {
                in_comment = false;
            }
        }
        if !was_code {
            continue;
        }
        let body = line.trim_start_matches('\u{feff}');
        let word: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if bicep::syntax::STATEMENT_KEYWORDS.contains(&word.as_str()) {
            out.push(start + (line.len() - body.len()));
        }
    }
    out
}

/// How many of `starts` lie in a top-level node of the tree without any error.
fn statements_parsed(tree: &tree_sitter::Tree, starts: &[usize]) -> usize {
    let root = tree.root_node();
    let mut c = root.walk();
    let children: Vec<_> = root.children(&mut c).collect();
    starts
        .iter()
        .filter(|&&s| {
            children
                .iter()
                .find(|n| n.start_byte() <= s && s < n.end_byte())
                .is_some_and(|n| !n.has_error())
        })
        .count()
}

/// The JSON of a fully known value; `None` when any part is unknown.
fn known_json(n: &Node) -> Option<serde_json::Value> {
    Some(match &n.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Value::from(*f),
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(known_json).collect::<Option<_>>()?)
        }
        Value::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| Some((k.name.clone(), known_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// Rates and failures, accumulated over all samples.
#[derive(Default)]
struct Tally {
    files: usize,
    files_clean: usize,
    statements: usize,
    statements_parsed: usize,
    mains: usize,
    mains_loaded: usize,
    params: usize,
    params_loaded: usize,
    compared_types: usize,
    failures: Vec<String>,
}

impl Tally {
    fn parse_clean(&mut self, root: &Path, path: &Path) {
        let text = std::fs::read_to_string(path).unwrap();
        self.files += 1;
        let Some(parsed) = bicep::syntax::parse(&text) else {
            self.failures.push(format!("{}: no tree", rel(root, path)));
            return;
        };
        let starts = statement_starts(&text);
        self.statements += starts.len();
        self.statements_parsed += statements_parsed(&parsed.tree, &starts);
        if parsed.tree.root_node().has_error() {
            let errors = bicep::syntax::syntax_errors(&parsed.tree, &text, 0);
            let first = errors.first().map(|f| {
                let line = text[..f.loc.start as usize].matches('\n').count() + 1;
                format!("line {line}: {}", f.message)
            });
            self.failures.push(format!(
                "{}: ERROR/MISSING node ({})",
                rel(root, path),
                first.unwrap_or_default()
            ));
        } else {
            self.files_clean += 1;
        }
    }
}

fn first_bicep000(u: &acr_cmk::unit::Unit) -> Option<String> {
    u.findings.iter().find(|f| f.code == "BICEP000").map(|f| {
        let src = u.sources.get(f.loc.file);
        let (l, c) = src.line_col(f.loc.start as usize);
        format!("{}:{l}:{c}: {}", src.name, f.message)
    })
}

/// The sample directories below `root/sub` with a `source` file whose diagnostics baseline
/// holds no error: the samples the compiler accepts.
fn accepted(root: &Path, sub: &str, source: &str, baseline: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(sub))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|d| d.join(source).is_file())
        .filter(|d| {
            baseline_diagnostics(d, baseline).is_some_and(|diags| !diags.iter().any(|d| d.error))
        })
        .collect();
    dirs.sort();
    dirs
}

fn accepted_bicep_samples(root: &Path, t: &mut Tally) {
    for dir in accepted(root, "baselines", "main.bicep", "main.diagnostics.bicep") {
        for f in corpus_support::files(&dir, |p| is_source(p, "bicep")) {
            t.parse_clean(root, &f);
        }
        let main = dir.join("main.bicep");
        let name = rel(root, &main);
        let text = std::fs::read_to_string(&main).unwrap();
        let u = bicep::load(&name, Some(&main), &text, &[]);
        t.mains += 1;
        if u.unparseable || u.findings.iter().any(|f| f.code == "BICEP000") {
            t.failures.push(format!(
                "{name}: does not load: {}",
                first_bicep000(&u).unwrap_or_else(|| "unparseable".into())
            ));
            continue;
        }
        t.mains_loaded += 1;
        let Ok(json_text) = std::fs::read_to_string(dir.join("main.json")) else {
            t.failures
                .push(format!("{name}: accepted but no main.json beside it"));
            continue;
        };
        let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
        t.compared_types += 1;
        let types = oracle_support::compare_types(&u, &json);
        for ty in types.invented {
            t.failures.push(format!(
                "{name}: deploys {ty}, the compiled template does not"
            ));
        }
        let (_, missing) = oracle_support::unmodelled_resources(&u, &json);
        for m in missing {
            t.failures
                .push(format!("{name}: compiled resource {m} is not modelled"));
        }
        let (_, missing) = oracle_support::missing_dependencies(&u, &json);
        for m in missing {
            t.failures
                .push(format!("{name}: compiled dependency {m} not found"));
        }
    }
}

fn accepted_bicepparam_samples(root: &Path, t: &mut Tally) {
    let dirs = accepted(
        root,
        "baselines_bicepparam",
        "parameters.bicepparam",
        "parameters.diagnostics.bicepparam",
    );
    for dir in dirs {
        for f in corpus_support::files(&dir, |p| {
            is_source(p, "bicep") || is_source(p, "bicepparam")
        }) {
            t.parse_clean(root, &f);
        }
        for f in corpus_support::files(&dir, |p| is_source(p, "bicepparam")) {
            let name = rel(root, &f);
            let text = std::fs::read_to_string(&f).unwrap();
            t.params += 1;
            let u = bicep::load_bicepparam(&name, Some(&f), &text);
            if u.unparseable || u.findings.iter().any(|f| f.code == "BICEP000") {
                t.failures.push(format!(
                    "{name}: does not load: {}",
                    first_bicep000(&u).unwrap_or_else(|| "unparseable".into())
                ));
                continue;
            }
            t.params_loaded += 1;
            // The compiled parameters of `parameters.bicepparam` (a base file such as
            // `shared.bicepparam` has none of its own).
            if f.file_name().is_some_and(|n| n != "parameters.bicepparam") {
                continue;
            }
            let Ok(json) = std::fs::read_to_string(dir.join("parameters.json")) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            let compiled = json["parameters"].as_object().cloned().unwrap_or_default();
            // `extends` bases are read only inside the lint root: here, the samples.
            let mut shared = bicep::Shared {
                root: acr_cmk::read::Root::new(root).unwrap(),
                ..bicep::Shared::default()
            };
            let ours = bicep::params::read_bicepparam_file(&mut shared, &name, Some(&f), &text);
            let mut our_names: Vec<&String> = ours.keys().collect();
            our_names.sort();
            let mut compiled_names: Vec<&String> = compiled.keys().collect();
            compiled_names.sort();
            if our_names != compiled_names {
                t.failures.push(format!(
                    "{name}: parameters {our_names:?}, compiled {compiled_names:?}"
                ));
                continue;
            }
            for (p, v) in &ours {
                let (Some(ours), Some(theirs)) = (known_json(v), compiled[p].get("value")) else {
                    continue;
                };
                if &ours != theirs {
                    t.failures
                        .push(format!("{name}: param {p} = {ours}, compiled {theirs}"));
                }
            }
        }
    }
}

/// Rejected samples whose first error is a syntax error: our first BICEP000 in that file must
/// be on the same line. Returns (samples with a syntax error, located on the line).
fn rejected_samples(root: &Path, t: &mut Tally) -> (usize, usize) {
    let mut cases: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (sub, source, baseline) in [
        ("baselines", "main.bicep", "main.diagnostics.bicep"),
        (
            "baselines_bicepparam",
            "parameters.bicepparam",
            "parameters.diagnostics.bicepparam",
        ),
    ] {
        for e in std::fs::read_dir(root.join(sub)).unwrap().flatten() {
            let d = e.path();
            if d.join(source).is_file() && d.join(baseline).is_file() {
                cases.push((d.join(source), d.join(baseline)));
            }
        }
    }
    cases.sort();
    let (mut with_syntax_error, mut located) = (0, 0);
    for (source, baseline) in cases {
        let diags = diagnostics(&std::fs::read_to_string(&baseline).unwrap());
        let Some(first) = diags
            .iter()
            .filter(|d| d.error && SYNTAX_CODES.contains(&d.code.as_str()))
            .min_by_key(|d| (d.line, d.column))
        else {
            continue;
        };
        with_syntax_error += 1;
        let text = std::fs::read_to_string(&source).unwrap();
        let name = rel(root, &source);
        let parsed = bicep::syntax::parse(&text).expect("a tree for every text");
        let kind = if source.extension().is_some_and(|e| e == "bicepparam") {
            bicep::syntax::FileKind::BicepParam
        } else {
            bicep::syntax::FileKind::Bicep
        };
        let ours = bicep::syntax::file_errors(&parsed, &text, 0, kind);
        let our_line = ours
            .iter()
            .map(|f| text[..f.loc.start as usize].matches('\n').count())
            .min();
        if our_line == Some(first.line) {
            located += 1;
        } else {
            t.failures.push(format!(
                "{name}: the compiler's first syntax error {} is on line {}, ours {}",
                first.code,
                first.line + 1,
                our_line.map_or("none".to_string(), |l| format!("on line {}", l + 1))
            ));
        }
    }
    (with_syntax_error, located)
}

#[test]
fn compiler_samples_load_and_agree() {
    let Some(root) = samples() else { return };
    let mut t = Tally::default();
    accepted_bicep_samples(&root, &mut t);
    accepted_bicepparam_samples(&root, &mut t);
    let (syntax, located) = rejected_samples(&root, &mut t);
    println!(
        "accepted samples: {}/{} source files parse clean, {}/{} top-level statements parse, \
         {}/{} main.bicep load and agree with main.json ({} compared), {}/{} .bicepparam load; \
         rejected for a syntax error: {located}/{syntax} located on the compiler's line",
        t.files_clean,
        t.files,
        t.statements_parsed,
        t.statements,
        t.mains_loaded,
        t.mains,
        t.compared_types,
        t.params_loaded,
        t.params,
    );
    assert!(
        t.mains >= 39 && t.params >= 10,
        "fewer samples than expected"
    );
    assert!(
        t.failures.is_empty(),
        "{} disagreements with the compiler:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
}

/// What the compiler emits is valid ARM: every compiled `main.json` of the samples
/// (`languageVersion` 1.0, 2.0 and 2.x-experimental: symbolic-name `resources`, `extensions`,
/// `extensionConfigs` on module deployments, `definitions`, …) loads through the ARM front end
/// and gets no schema finding (SCH001–SCH004) on any resource, nor on the template's structure.
#[test]
fn compiled_samples_lint_clean_of_schema_noise() {
    let Some(root) = samples() else { return };
    let mut compiled = 0;
    let mut noise = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("baselines"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("main.json"))
        .filter(|p| p.is_file())
        .collect();
    dirs.sort();
    for main in dirs {
        let name = rel(&root, &main);
        let text = std::fs::read_to_string(&main).unwrap();
        compiled += 1;
        let u = acr_cmk::arm::load(&name, Some(&main), &text, &[]);
        for f in &u.findings {
            noise.push(format!("{name}: load: {} {}", f.code, f.message));
        }
        // Every resource, not only a registry's CMK wiring: the compiler's whole output is
        // judged, with the template's own structure (SCH002).
        let ctx = acr_cmk::rules::Ctx::new(&u.model).scope(acr_cmk::rules::ResourceScope::All);
        for f in acr_cmk::rules::run(&ctx, &|m| m.code.starts_with("SCH")) {
            noise.push(format!("{name}: {} {} at {}", f.code, f.message, f.pointer));
        }
    }
    println!(
        "{compiled} compiled main.json, {} schema findings",
        noise.len()
    );
    assert!(compiled >= 40, "only {compiled} compiled samples");
    assert_eq!(noise, Vec::<String>::new());
}
