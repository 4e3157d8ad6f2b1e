//! A `.bicep` file (with optional NUL-separated parameter files, `.bicepparam` syntax or ARM
//! parameter JSON) through the parser, the evaluator, the rules and every report format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files = acr_cmk_fuzz::files(data);
    let bicep = files.remove(0);
    let parameters: Vec<(String, String)> = files
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let name = if text.trim_start().starts_with('{') {
                format!("p{i}.parameters.json")
            } else {
                format!("p{i}.bicepparam")
            };
            (name, text)
        })
        .collect();
    let unit = acr_cmk::bicep::load("main.bicep", None, &bicep, &parameters);
    acr_cmk_fuzz::lint_and_render("main.bicep", unit);
});
