//! `cargo bench`: the lint measured against parse-only baselines, in one process and one run.
//!
//! The targets (issues 3 and 4) are ratios, so each lint is timed next to its baseline on the
//! same machine, at the same moment, with the same thread pool:
//! - (a) read + `serde_json` parse of every JSON file of the corpus (the ARM baseline);
//! - (b) `lint::run` over the same files (discovery, ARM front end, rules, suppressions);
//! - (c) read + tree-sitter-only parse of every `.bicep` file (the Bicep baseline);
//! - (d) `lint::run` over the same `.bicep` files;
//! - (e) malformed Bicep (`-- malformed`): 340 KB with one unclosed parenthesis near the top
//!   (generated, and the AVM container registry module repeated when the corpus is there), the
//!   same without it, and 50,000 nested `[` / `[{`: parse and the whole front end, which must
//!   stay linear in size.
//!
//! Each is run once to warm the page cache and allocator, then timed best of N (`BENCH_RUNS`,
//! default 5). The corpus is `../shared/corpus` (or `BENCH_CORPUS`). Not a test: nothing here
//! runs in `cargo test`.

/// The binary's allocator, so the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use acr_cmk::lint::{self, Settings, config::Config, discover::Excludes};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus() -> PathBuf {
    match std::env::var_os("BENCH_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

/// Every file under `dir` whose extension is one of `exts`, sorted.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.iter().any(|e| x.eq_ignore_ascii_case(e)))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// CPU time (user + system, all threads) of this process so far, from `/proc/self/stat`
/// (Linux; clock ticks of 10 ms). `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) : utime is the 14th field.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// One measurement: the best wall time of `runs` runs after a warm-up, and the mean CPU time
/// per run (all threads). On a shared machine the CPU time is the steadier of the two.
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> Timing {
    black_box(f());
    let cpu_start = cpu_time();
    let wall = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap_or_default();
    let cpu = match (cpu_start, cpu_time()) {
        (Some(a), Some(b)) => Some((b - a) / runs.max(1) as u32),
        _ => None,
    };
    Timing { wall, cpu }
}

/// `name: baseline … | lint … | ratio …` for wall and CPU time.
fn report(name: &str, baseline: &str, base: &Timing, full: &Timing) {
    println!(
        "{name}: {baseline} {:7.1} ms | lint {:7.1} ms | wall ratio {:.2}x (target <= 3x)",
        ms(base.wall),
        ms(full.wall),
        full.wall.as_secs_f64() / base.wall.as_secs_f64()
    );
    if let (Some(b), Some(f)) = (base.cpu, full.cpu) {
        println!(
            "{name}: {baseline} {:7.1} ms | lint {:7.1} ms | CPU ratio  {:.2}x (mean CPU time per run)",
            ms(b),
            ms(f),
            f.as_secs_f64() / b.as_secs_f64().max(1e-9)
        );
    }
}

fn serde_baseline(paths: &[PathBuf]) -> usize {
    paths
        .par_iter()
        .filter(|p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return false;
            };
            serde_json::from_str::<serde_json::Value>(&text).is_ok()
        })
        .count()
}

fn tree_sitter_baseline(paths: &[PathBuf]) -> usize {
    paths
        .par_iter()
        .map_init(
            || {
                let mut p = tree_sitter::Parser::new();
                p.set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
                    .expect("grammar version matches the tree-sitter crate");
                p
            },
            |parser, path| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                parser
                    .parse(&text, None)
                    .map_or(0, |t| t.root_node().child_count() as usize)
            },
        )
        .sum()
}

/// What the Bicep front end does before evaluating: parse, then the syntax checks the grammar
/// cannot express (each file once, no cache outside a lint run).
fn front_end_parse_baseline(paths: &[PathBuf]) -> usize {
    paths
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            acr_cmk::bicep::syntax::parse(&text).map_or(0, |p| {
                let kind = acr_cmk::bicep::syntax::FileKind::Bicep;
                acr_cmk::bicep::syntax::file_errors(&p, &text, 0, kind).len()
                    + p.tree.root_node().child_count() as usize
            })
        })
        .sum()
}

/// The files that take longest to parse raw, to find grammar pathologies.
fn slowest(paths: &[PathBuf], n: usize) {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
        .expect("grammar version matches the tree-sitter crate");
    let mut times: Vec<(Duration, Duration, &PathBuf)> = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let start = Instant::now();
            black_box(parser.parse(&text, None));
            let raw = start.elapsed();
            let start = Instant::now();
            black_box(acr_cmk::bicep::syntax::parse(&text));
            (raw, start.elapsed(), p)
        })
        .collect();
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (raw, rewritten, p) in times.iter().take(n) {
        println!(
            "  raw parse {:7.1} ms, front-end parse {:7.1} ms  {}",
            ms(*raw),
            ms(*rewritten),
            p.display()
        );
    }
}

/// About `size` bytes of valid Bicep in the shape of real templates: decorated parameters,
/// resources with nested objects, interpolation, conditional expressions, outputs.
fn valid_bicep(size: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < size {
        out.push_str(&format!(
            "@description('Storage account {i}: name and settings.')\nparam name{i} string = 'st{i}'\n\n\
             resource sa{i} 'Microsoft.Storage/storageAccounts@2023-01-01' = {{\n  name: '${{name{i}}}'\n  location: resourceGroup().location\n  sku: {{\n    name: 'Standard_LRS'\n  }}\n  kind: 'StorageV2'\n  properties: {{\n    minimumTlsVersion: 'TLS1_2'\n    networkAcls: empty(name{i}) ? null : {{\n      bypass: 'AzureServices'\n      defaultAction: 'Deny'\n    }}\n  }}\n}}\n\n\
             output id{i} string = sa{i}.id\n\n"
        ));
        i += 1;
    }
    out
}

/// `text` repeated to about `size` bytes.
fn repeated(text: &str, size: usize) -> String {
    let mut out = String::new();
    while out.len() < size {
        out.push_str(text);
        out.push('\n');
    }
    out
}

/// Malformed input (issue 8 class 11, issue 11 item 5): parse time and the whole front end
/// (which reports the syntax errors), next to the same size of valid input. The AVM container
/// registry module (from the corpus, when present) is the real-world shape with which one
/// unclosed parenthesis used to cost 20 s at 340 KB.
fn malformed(runs: usize, corpus: &Path) {
    const SIZE: usize = 340 * 1024;
    let unclosed = |valid: &str| format!("var broken = concat('a'\n{valid}");
    let synthetic = valid_bicep(SIZE);
    let mut cases = vec![
        ("340 KB generated, valid".to_string(), synthetic.clone()),
        (
            "340 KB generated, one unclosed (".to_string(),
            unclosed(&synthetic),
        ),
    ];
    let avm = corpus.join("bicep-registry-modules/avm/res/container-registry/registry/main.bicep");
    if let Ok(module) = std::fs::read_to_string(&avm) {
        let module = repeated(&module, SIZE);
        cases.push(("340 KB AVM module, valid".to_string(), module.clone()));
        cases.push((
            "340 KB AVM module, one unclosed (".to_string(),
            unclosed(&module),
        ));
    }
    cases.push((
        "50,000 nested [ (50 KB)".to_string(),
        format!("var x = {}\n", "[".repeat(50_000)),
    ));
    cases.push((
        "50,000 nested [{ (100 KB)".to_string(),
        format!("var x = {}\n", "[{".repeat(50_000)),
    ));
    for (name, text) in &cases {
        let parse = measure(runs, || {
            acr_cmk::bicep::syntax::parse(text).map(|p| p.tree.root_node().has_error())
        });
        let load = measure(runs, || {
            acr_cmk::bicep::load("m.bicep", None, text, &[])
                .findings
                .len()
        });
        println!(
            "malformed: {name:36} parse {:8.1} ms | front end {:8.1} ms (best of {runs})",
            ms(parse.wall),
            ms(load.wall)
        );
    }
}

fn lint(paths: &[PathBuf]) -> usize {
    let settings = Settings {
        paths: paths.to_vec(),
        parameters: Vec::new(),
        excludes: Excludes::none(),
        config: Config::default(),
        baseline: None,
        // The corpus lives beside the checkout: its common ancestor is the lint root, as the
        // command line would pick for files named there.
        root: acr_cmk::read::Root::around(paths.first().map(PathBuf::as_path)),
    };
    let report = lint::run(&settings);
    report.units.iter().map(|u| u.findings.len()).sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench -- <filter>` passes arguments (and `--bench`); only a filter word matters.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let dir = corpus();
    if wanted("malformed") {
        malformed(runs, &dir);
        if filter.as_deref() == Some("malformed") {
            return;
        }
    }
    if !dir.is_dir() {
        eprintln!("corpus not found at {} (set BENCH_CORPUS)", dir.display());
        std::process::exit(2);
    }
    let json = files(&dir, &["json", "jsonc"]);
    let bicep = files(&dir, &["bicep"]);
    println!(
        "corpus {}: {} JSON files, {} .bicep files; best of {runs} after a warm-up, {} threads",
        dir.display(),
        json.len(),
        bicep.len(),
        rayon::current_num_threads()
    );
    if wanted("arm") {
        let base = measure(runs, || serde_baseline(&json));
        let full = measure(runs, || lint(&json));
        report("arm", "serde_json read+parse   ", &base, &full);
    }
    if wanted("bicep") {
        let base = measure(runs, || tree_sitter_baseline(&bicep));
        let parsed = measure(runs, || front_end_parse_baseline(&bicep));
        let full = measure(runs, || lint(&bicep));
        report("bicep", "tree-sitter read+parse  ", &base, &full);
        report("bicep", "front-end parse         ", &parsed, &full);
    }
    if let Some(n) = std::env::var("BENCH_SLOWEST")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        println!("slowest .bicep files to parse:");
        slowest(&bicep, n);
    }
}
