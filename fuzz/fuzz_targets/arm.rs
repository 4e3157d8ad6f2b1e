//! An ARM template and its parameter files (NUL-separated: template first) through the
//! loader, the expression evaluator, the rules and every report format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files = acr_cmk_fuzz::files(data);
    let template = files.remove(0);
    let parameters: Vec<(String, String)> = files
        .into_iter()
        .enumerate()
        .map(|(i, text)| (format!("p{i}.parameters.json"), text))
        .collect();
    let unit = acr_cmk::arm::load("main.json", None, &template, &parameters);
    acr_cmk_fuzz::lint_and_render("main.json", unit);
});
