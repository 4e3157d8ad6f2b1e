//! Hostile spec input (issue 8, class 3): user strings are validated before they are sliced.

mod build_support;
use acr_cmk::Exit;
use build_support::compile_text;

const SPEC: &str = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n[deployment]\napi_version = \"API\"\n";

#[test]
fn a_non_ascii_api_version_is_a_located_spec_error_not_a_panic() {
    for api in ["2025-11-0é", "2025-11-01-prévieW", "é", "2025-11-01\u{85}"] {
        let text = SPEC.replace("API", api);
        let c = compile_text("s.toml", &text);
        assert_eq!(c.exit, Exit::Error, "{api}:\n{}", c.diagnostics);
        assert!(c.diagnostics.contains("SPEC001"), "{}", c.diagnostics);
        assert!(
            c.diagnostics.contains("[s.toml:10:15]"),
            "{}",
            c.diagnostics
        );
    }
}
