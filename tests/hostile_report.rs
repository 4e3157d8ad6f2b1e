//! The human report on hostile sources (issue 8, classes 1, 2 and 9): it never panics, whatever
//! the span and whatever the bytes around it; it shows the real line and column; long lines are
//! cut, control characters escaped, quoted values shortened; no format carries a huge message.
//! Every input is generated here.

use acr_cmk::finding::Finding;
use acr_cmk::report::human::{Style, render};
use acr_cmk::rules::meta;
use acr_cmk::source::{Loc, SourceFile, SourceMap};
use std::process::{Command, Output};

/// A source with everything a renderer can trip on: a line of 70,000 characters with C0 and C1
/// controls in it, CRLF lines, tabs, a lone CR, multi-byte and wide characters, the
/// replacement character (what invalid UTF-8 becomes), bidirectional overrides, NUL, empty
/// lines, and no newline at the end.
fn nasty_source() -> String {
    let mut s = String::new();
    s.push_str("{\r\n\t\"a\": \"tab\there\",\r\n");
    s.push_str("  \"ctl\": \"\u{1b}[2J\u{85}\u{9b}31m\u{0}\u{7f}\u{202e}txt\u{2066}\",\n");
    s.push_str("  \"wide\": \"");
    for i in 0..70_000 {
        s.push(match i % 997 {
            0 => '\u{85}',
            1 => '\u{1b}',
            2 => 'é',
            3 => '😀',
            4 => '\u{fffd}',
            5 => '\t',
            _ => 'x',
        });
    }
    s.push_str("\",\n\n  \"cr\": \"a\rb\",\n");
    s.push_str("  \"end\": \"日本語\"\n}");
    s
}

fn sources(text: &str) -> SourceMap {
    let mut m = SourceMap::new();
    m.add("nasty.json", text);
    m
}

fn finding(start: usize, end: usize, related: &[(usize, usize)]) -> Finding {
    let mut f = Finding::new(meta("SCH001"), Loc::new(0, start, end), "a finding")
        .label("the label")
        .help("the help");
    for &(s, e) in related {
        f = f.related(Loc::new(0, s, e), "related");
    }
    f
}

/// The header miette prints for the primary label: the real line and column (in characters),
/// after clamping the span into the file.
fn expected_header(text: &str, start: usize) -> String {
    let mut at = start.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let (line, col) = SourceFile::new("x", text).line_col(at);
    format!("[nasty.json:{line}:{col}]")
}

fn assert_terminal_safe(out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect();
    assert!(
        bad.is_empty(),
        "raw control characters in the output: {bad:?}"
    );
}

#[test]
fn every_span_of_a_nasty_source_renders_with_its_real_line_and_column() {
    let text = nasty_source();
    let map = sources(&text);
    let len = text.len();
    // Every 499th byte (char boundary or not), every byte near the interesting places, the end
    // and past it.
    let mut starts: Vec<usize> = (0..len).step_by(499).collect();
    for (i, c) in text.char_indices() {
        if c.is_control() || !c.is_ascii() {
            starts.extend([i.saturating_sub(1), i, i + 1]);
        }
        if starts.len() > 4000 {
            break;
        }
    }
    starts.extend([len - 1, len, len + 1, len + 1000, u32::MAX as usize]);
    let lengths = [0usize, 1, 3, 150, 70_500, usize::MAX / 2];
    let mut rendered = 0;
    for (k, &start) in starts.iter().enumerate() {
        let length = lengths[k % lengths.len()];
        let end = start.saturating_add(length).min(u32::MAX as usize);
        let start = start.min(u32::MAX as usize);
        let related = [(start / 3, start / 3 + 10), (len - 2, len + 50)];
        let f = finding(start, end, if k % 2 == 0 { &related } else { &[] });
        let out = render(&f, &map, Style::plain());
        let header = expected_header(&text, start);
        assert!(
            out.contains(&header),
            "span {start}..{end}: expected {header} in\n{out}"
        );
        assert!(
            !out.contains("Failed to read"),
            "span {start}..{end}:\n{out}"
        );
        assert!(
            out.len() < 16_000,
            "span {start}..{end}: {} bytes of output",
            out.len()
        );
        assert_terminal_safe(&out);
        rendered += 1;
    }
    assert!(rendered > 1000, "only {rendered} spans tried");
}

#[test]
fn a_label_past_column_65535_is_cut_around_and_still_named_by_its_column() {
    let line = format!(
        "{{\"pad\": \"{}\", \"sku\": \"Basic\"}}",
        "p".repeat(80_000)
    );
    let at = line.find("\"Basic\"").unwrap();
    let out = render(&finding(at, at + 7, &[]), &sources(&line), Style::plain());
    assert!(out.contains(&format!("[nasty.json:1:{}]", at + 1)), "{out}");
    assert!(out.contains(" 1 │ …ppp"), "{out}");
    assert!(out.contains("\"sku\": \"Basic\"}\n"), "{out}");
    // The cut line is at most the window wide.
    let longest = out.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 250, "a line of {longest} characters:\n{out}");
}

#[test]
fn a_multi_megabyte_span_has_a_bounded_underline() {
    let line = format!("{{\"v\": \"{}\"}}\n", "v".repeat(3_000_000));
    let out = render(
        &finding(6, line.len() - 2, &[]),
        &sources(&line),
        Style::plain(),
    );
    assert!(out.len() < 4_000, "{} bytes", out.len());
    assert!(out.contains("[nasty.json:1:7]"), "{out}");
}

fn acr_cmk(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A one-line ARM template whose CMK001 finding (`sku: Basic`) is past column 70,000.
fn minified_template(pad: usize) -> String {
    format!(
        concat!(
            "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", ",
            "\"contentVersion\": \"1.0.0.0\", \"metadata\": {{\"pad\": \"{}\u{85}\u{1b}[31m\"}}, \"resources\": [{{",
            "\"type\": \"Microsoft.ContainerRegistry/registries\", \"apiVersion\": \"2025-11-01\", ",
            "\"name\": \"contosoregistry\", \"location\": \"westeurope\", \"sku\": {{\"name\": \"Basic\"}}, ",
            "\"properties\": {{\"encryption\": {{\"status\": \"enabled\"}}}}}}]}}"
        ),
        "a".repeat(pad)
    )
}

/// The line and column the JSON report gives the first finding with this code.
fn json_position(dir: &std::path::Path, file: &str, code: &str) -> (u64, u64) {
    let out = acr_cmk(dir, &["lint", file, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {doc}"));
    (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap())
}

#[test]
fn lint_reports_a_finding_past_column_65535_at_the_column_the_json_report_gives() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.json"), minified_template(70_000)).unwrap();
    let out = acr_cmk(dir.path(), &["lint", "big.json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let (line, column) = json_position(dir.path(), "big.json", "CMK001");
    assert!(column > 70_000);
    assert!(
        stdout.contains(&format!("[big.json:{line}:{column}]")),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{85}'));
}

#[test]
fn a_c1_control_beside_a_bicep_finding_keeps_its_label() {
    let dir = tempfile::tempdir().unwrap();
    let bicep = "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n  name: 'contosoregistry'\n  location: 'westeurope' // \u{85}\u{85}\u{85}\n  sku: { name: 'Basic' } // \u{85}é\u{1b}[2J\n  properties: { encryption: { status: 'enabled' } }\n}\n";
    std::fs::write(dir.path().join("main.bicep"), bicep).unwrap();
    let out = acr_cmk(dir.path(), &["lint", "main.bicep"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("Failed to read"), "{stdout}");
    let (line, column) = json_position(dir.path(), "main.bicep", "CMK001");
    assert!(
        stdout.contains(&format!("[main.bicep:{line}:{column}]")),
        "{stdout}"
    );
    assert!(stdout.contains("// \\u{85}é\\u{1b}[2J"), "{stdout}");
}

#[test]
fn spec_and_configuration_errors_past_column_65535_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "[registry]\nname = \"contosoregistry\"\ntags = {{ pad = \"{}\", n = 1 }}\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n",
        "t".repeat(70_000)
    );
    std::fs::write(dir.path().join("wide.toml"), spec).unwrap();
    let out = acr_cmk(dir.path(), &["validate", "wide.toml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SPEC001"), "{stderr}");
    assert!(stderr.contains("[wide.toml:3:70"), "{stderr}");

    let config = format!("exclude = [\"{}\", 5]\n", "e".repeat(70_000));
    std::fs::write(dir.path().join("acr-cmk.toml"), config).unwrap();
    std::fs::write(dir.path().join("main.bicep"), "param p string = 'x'\n").unwrap();
    let out = acr_cmk(dir.path(), &["lint", "main.bicep"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[acr-cmk.toml:1:70"), "{stderr}");
    assert!(stderr.lines().all(|l| l.chars().count() < 300), "{stderr}");
}

#[test]
fn a_huge_value_is_quoted_short_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // SCH001: publicNetworkAccess is Enabled or Disabled; this one is 2 MB.
    let template = minified_template(10).replace(
        "\"status\": \"enabled\"}",
        &format!(
            "\"status\": \"enabled\"}}, \"publicNetworkAccess\": \"{}\"",
            "z".repeat(2_000_000)
        ),
    );
    std::fs::write(dir.path().join("t.json"), template).unwrap();
    for format in ["human", "json", "sarif"] {
        let out = acr_cmk(dir.path(), &["lint", "t.json", "--format", format]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            text(&out.stderr)
        );
        assert!(stdout.contains("SCH001"), "{format}: {stdout}");
        // The message may wrap in the human report: the count is what shows it was cut.
        assert!(stdout.contains("(2000000 characters)"), "{format}");
        // Far below the 2 MB value. SARIF also carries the docs of each rule that fired, whose
        // length has nothing to do with the value: its results are what is measured.
        let reported = match format {
            "sarif" => {
                let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                doc["runs"][0]["results"].to_string()
            }
            _ => stdout.clone(),
        };
        assert!(
            reported.len() < 40_000,
            "{format}: {} bytes",
            reported.len()
        );
    }
}
