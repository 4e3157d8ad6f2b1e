//! A `.bicepparam` file on its own (its `using` target is not on disk): parser, `using`
//! discovery, the rules and every report format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = acr_cmk_fuzz::text(data);
    let _ = acr_cmk::lint::discover::bicepparam_using(&text);
    let unit = acr_cmk::bicep::load_bicepparam("main.bicepparam", None, &text);
    acr_cmk_fuzz::lint_and_render("main.bicepparam", unit);
});
