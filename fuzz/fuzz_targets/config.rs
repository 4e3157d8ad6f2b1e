//! `acr-cmk.toml`: parse, and render the error (plain and coloured) when there is one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = acr_cmk_fuzz::text(data);
    if let Err(e) = acr_cmk::lint::config::parse("acr-cmk.toml", &text) {
        assert!(!e.render(false).is_empty());
        e.render(true);
    }
});
