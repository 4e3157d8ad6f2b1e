//! Hostile values: quotes, backslashes, `[`, `${`, newlines and non-ASCII either travel
//! verbatim into valid JSON and Bicep (location, tags) or are refused with a clear error
//! (names, which have strict rules).

mod build_support;
use acr_cmk::Exit;
use build_support::*;
use serde_json::Value;

const HOSTILE_LOCATION: &str = "[west'europe\\ ${x}\n\"ü\" 🚀]";

fn hostile_tags() -> Vec<(&'static str, &'static str)> {
    vec![
        ("[resourceGroup().id]", "[concat('a', 'b')]"),
        ("quote'key", "back\\slash ${interp} \"dq\"\ttab\r\n ü"),
        ("[not-closed", "x]"),
    ]
}

fn toml_string(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

fn hostile_spec() -> String {
    let mut spec = format!(
        "[registry]\nname = \"contosoinject\"\nlocation = {}\n\n[registry.tags]\n",
        toml_string(HOSTILE_LOCATION)
    );
    for (k, v) in hostile_tags() {
        spec.push_str(&format!("{} = {}\n", toml_string(k), toml_string(v)));
    }
    spec.push_str(
        "\n[identity]\nname = \"id-inject\"\n\n[vault]\nname = \"kv-inject\"\ncreate = true\n\n[key]\nname = \"acr-cmk\"\ncreate = true\n",
    );
    spec
}

/// ARM's escape for an expression-shaped literal.
fn arm(s: &str) -> String {
    if s.starts_with('[') && s.ends_with(']') {
        format!("[{s}")
    } else {
        s.to_string()
    }
}

#[test]
fn hostile_location_and_tags_travel_verbatim() {
    let g = build("hostile.toml", &hostile_spec());
    let t: Value = serde_json::from_str(g.get("CMKtemplate.json").unwrap()).unwrap();
    let p: Value = serde_json::from_str(g.get("CMKtemplate.parameters.json").unwrap()).unwrap();

    // The region goes into the parameters file (values are never evaluated: verbatim); the
    // template's default is the resource group's location.
    assert_eq!(
        t["parameters"]["location"]["defaultValue"],
        "[resourceGroup().location]"
    );
    assert_eq!(p["parameters"]["location"]["value"], HOSTILE_LOCATION);
    for r in t["resources"].as_array().unwrap() {
        if r["type"] == "Microsoft.KeyVault/vaults/accessPolicies" {
            continue;
        }
        let tags = r["tags"]
            .as_object()
            .unwrap_or_else(|| panic!("no tags on {}", r["type"]));
        assert_eq!(tags.len(), hostile_tags().len());
        for (k, v) in hostile_tags() {
            assert_eq!(tags[&arm(k)], arm(v), "{}: tag {k}", r["type"]);
        }
    }

    // Bicep: parses, and the literals decode to the original text.
    let bicep = g.get("CMKtemplate.bicep").unwrap();
    assert!(
        bicep_errors(bicep).is_empty(),
        "{:?}\n{bicep}",
        bicep_errors(bicep)
    );
    assert!(
        bicep
            .lines()
            .any(|l| l == "param location string = resourceGroup().location"),
        "{bicep}"
    );
    let mut decoded = Vec::new();
    let tree = parse_bicep(bicep);
    let mut cursor = tree.walk();
    walk(&mut cursor, &mut |n| {
        if n.kind() == "object_property" {
            let mut c = n.walk();
            let kids: Vec<_> = n.named_children(&mut c).collect();
            if kids.len() == 2 && kids[0].kind() == "string" && kids[1].kind() == "string" {
                decoded.push((
                    bicep_unquote(&bicep[kids[0].byte_range()]),
                    bicep_unquote(&bicep[kids[1].byte_range()]),
                ));
            }
        }
    });
    let want: Vec<(String, String)> = hostile_tags()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(decoded, want);

    let bicepparam = g.get("CMKtemplate.bicepparam").unwrap();
    let line = bicepparam
        .lines()
        .find(|l| l.starts_with("param location = "))
        .unwrap();
    let value = line.trim_start_matches("param location = ");
    assert!(bicep_errors(&format!("var location = {value}\n")).is_empty());
    assert_eq!(bicep_unquote(value), HOSTILE_LOCATION);
}

#[test]
fn hostile_names_are_refused_with_a_located_error() {
    let cases = [
        ("registry", "name", "contoso'reg"),
        ("registry", "name", "contoso${x}reg"),
        ("identity", "name", "id\"x"),
        ("identity", "name", "id\nx"),
        ("vault", "name", "kv[x]"),
        ("vault", "name", "kv-ü-vault"),
        ("key", "name", "key\\x"),
    ];
    for (section, key, value) in cases {
        let mut spec = "[registry]\nname = \"contosoregistry\"\n\n[identity]\nname = \"id-x\"\n\n[vault]\nname = \"kv-contoso\"\n\n[key]\nname = \"acr-cmk\"\n".to_string();
        let needle = format!("[{section}]\n{key} = ");
        let start = spec.find(&needle).unwrap() + needle.len();
        let end = start + spec[start..].find('\n').unwrap();
        spec.replace_range(start..end, &toml_string(value));
        let c = compile_text("names.toml", &spec);
        assert_eq!(
            c.exit,
            Exit::Findings,
            "{section}.{key} = {value:?} was accepted"
        );
        assert!(c.generated.is_none());
        assert!(
            c.diagnostics.contains("CMK013"),
            "{value:?}: {}",
            c.diagnostics
        );
    }
}
