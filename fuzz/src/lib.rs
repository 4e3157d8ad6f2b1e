//! What every fuzz target does after its front end: the lint checks (`lint::check_unit`, the
//! same path as `acr-cmk lint`) and all three report formats, with the invariants a user
//! relies on asserted so that a violation is a crash the fuzzer keeps.

use acr_cmk::finding::Level;
use acr_cmk::lint::{check_unit, config::Config};
use acr_cmk::report::{self, Format, Report, UnitReport, human::Style};
use acr_cmk::unit::Unit;

/// Lint a loaded unit with the default configuration and render it in every format.
pub fn lint_and_render(primary: &str, unit: Unit) {
    let checked = check_unit(unit, primary, None, &Config::default());
    if checked.unparseable {
        assert!(
            checked.findings.iter().any(|f| f.level == Level::Error),
            "an unparseable unit without a located error: {:?}",
            checked.findings
        );
    }
    render_every_format(checked);
}

/// Render one unit report as human (plain and coloured), JSON and SARIF, and check that
/// the machine formats are JSON.
pub fn render_every_format(unit: UnitReport) {
    let report = Report {
        units: vec![unit],
        ..Report::default()
    };
    for style in [
        Style::plain(),
        Style {
            color: true,
            width: 80,
        },
    ] {
        report::render(&report, Format::Human, style, true);
    }
    for format in [Format::Json, Format::Sarif] {
        let text = report::render(&report, format, Style::plain(), false);
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            panic!("{format:?} output is not JSON ({e}): {text}");
        }
    }
    let _ = report.exit(Level::Warning);
}

/// The fuzzer's bytes as text. Front ends take `&str` (the CLI refuses invalid UTF-8 before
/// they run), so invalid sequences become U+FFFD rather than being thrown away: the rest of
/// the input still reaches the parser.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Split an input into files at NUL bytes (a NUL is never valid in these formats, so the
/// fuzzer learns the separator quickly from the seeds).
pub fn files(data: &[u8]) -> Vec<String> {
    data.split(|b| *b == 0)
        .map(|p| text(p).into_owned())
        .collect()
}
