//! Every negative spec in tests/fixtures/specs gives a located diagnostic and the right exit
//! code; the rendered text (no colour, width 100) is a snapshot.

mod build_support;
use acr_cmk::Exit;
use build_support::*;

fn fixtures() -> Vec<(String, String)> {
    let dir = root().join("tests/fixtures/specs");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Rule violations exit 1; anything structural (SPEC001) exits 2.
fn expected_exit(stem: &str) -> Exit {
    if stem.starts_with("cmk") {
        Exit::Findings
    } else {
        Exit::Error
    }
}

#[test]
fn negative_specs_are_reported_with_location_code_and_exit_status() {
    let all = fixtures();
    assert!(all.len() >= 20, "fixtures missing");
    for (stem, text) in all {
        let display = format!("tests/fixtures/specs/{stem}.toml");
        let c = compile_text(&display, &text);
        assert!(c.generated.is_none(), "{stem} generated files");
        assert_eq!(c.exit, expected_exit(&stem), "{stem}:\n{}", c.diagnostics);
        // The code in the file name is the code reported.
        if let Some(code) = stem.strip_prefix("cmk").and_then(|s| s.get(..3)) {
            assert!(
                c.diagnostics.contains(&format!("CMK{code}")),
                "{stem}:\n{}",
                c.diagnostics
            );
        } else {
            assert!(
                c.diagnostics.contains("SPEC001"),
                "{stem}:\n{}",
                c.diagnostics
            );
        }
        assert!(
            c.diagnostics.contains(&format!("[{display}:")),
            "{stem}: not located:\n{}",
            c.diagnostics
        );
        assert!(
            !c.diagnostics.contains('\u{1b}'),
            "{stem}: colour in plain output"
        );
        let shown = format!("exit: {}\n\n{}", c.exit as u8, c.diagnostics);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("spec__{stem}"), shown);
        });
    }
}
