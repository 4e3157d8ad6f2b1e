//! A spec (TOML) through `build`'s whole pipeline: parse, rule catalogue on the spec model,
//! generation, validation of the generated files, and the diagnostics rendered.
#![no_main]

use acr_cmk::generate::validate::compile;
use acr_cmk::report::human::Style;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = acr_cmk_fuzz::text(data);
    let compiled = compile("spec.toml", &text, "out", Style::plain());
    // "could not check" is never a silent pass: a failed build says why.
    if compiled.generated.is_none() {
        assert!(
            !compiled.diagnostics.is_empty(),
            "build failed without a diagnostic"
        );
    }
});
