//! The Bicep front end: snippets and fixtures → model resources, names, ids, symbols,
//! dependencies, presence, suppressions.

use acr_cmk::bicep;
use acr_cmk::model::{Model, Presence, Resource, Sym, SymStr, Value};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bicep")
        .join(name)
}

fn load_str(src: &str) -> acr_cmk::unit::Unit {
    let u = bicep::load("t.bicep", None, src, &[]);
    assert!(!u.unparseable, "{:?}", u.findings);
    u
}

fn res<'a>(m: &'a Model, sym: &str) -> &'a Resource {
    m.resources
        .iter()
        .find(|r| r.symbolic_name.as_deref() == Some(sym))
        .unwrap_or_else(|| panic!("no resource {sym}"))
}

fn idx(m: &Model, sym: &str) -> usize {
    m.resources
        .iter()
        .position(|r| r.symbolic_name.as_deref() == Some(sym))
        .unwrap()
}

#[test]
fn child_resources_get_full_type_name_and_id() {
    let u = load_str(
        "param kvName string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: kvName\n  resource key 'keys' = {\n    name: 'cmk'\n  }\n}\nresource ap 'Microsoft.KeyVault/vaults/accessPolicies@2023-07-01' = {\n  parent: kv\n  name: 'add'\n}\n",
    );
    let m = &u.model;
    let key = res(m, "kv::key");
    assert_eq!(key.ty, "Microsoft.KeyVault/vaults/keys");
    assert_eq!(key.api_version.as_deref(), Some("2023-07-01"));
    let id = key.id.to_string();
    assert!(
        id.ends_with("/providers/Microsoft.KeyVault/vaults/{parameters('kvName')}/keys/cmk"),
        "{id}"
    );
    assert!(id.starts_with(
        "/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}/"
    ));
    let ap = res(m, "ap");
    assert_eq!(ap.ty, "Microsoft.KeyVault/vaults/accessPolicies");
    assert_eq!(
        ap.name.value.to_symstr().unwrap().to_string(),
        "{parameters('kvName')}/add"
    );
    // parent: and nesting are implicit dependencies.
    assert_eq!(ap.depends_on, vec![idx(m, "kv")]);
    assert_eq!(key.depends_on, vec![idx(m, "kv")]);
    assert_eq!(ap.pointer, "/resources/ap");
    assert_eq!(key.pointer, "/resources/kv::key");
}

#[test]
fn symbolic_properties_follow_the_model_conventions() {
    let u = load_str(
        "resource uai 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: 'id1'\n}\nresource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n  name: 'reg'\n  properties: {\n    a: uai.properties.clientId\n    b: uai.id\n    c: uai.name\n    d: subscription().tenantId\n    e: guid(resourceGroup().id, 'x')\n  }\n}\n",
    );
    let m = &u.model;
    let acr = res(m, "acr");
    let uai = res(m, "uai");
    match &acr.get("properties.a").unwrap().value {
        Value::Sym(s) => match s.as_single_sym().unwrap() {
            Sym::ResourceProp { id, path } => {
                assert!(id.same(&uai.id));
                assert_eq!(path, &["properties", "clientId"]);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    let b = acr.get("properties.b").unwrap().value.to_symstr().unwrap();
    assert!(b.same(&uai.id));
    assert_eq!(acr.get("properties.c").unwrap().as_str(), Some("id1"));
    let d = acr.get("properties.d").unwrap().value.to_symstr().unwrap();
    assert!(d.same(&SymStr::sym(Sym::Expr("subscription().tenantId".into()))));
    let e = acr.get("properties.e").unwrap().value.to_symstr().unwrap();
    assert_eq!(
        e.to_string(),
        // The ARM evaluator's canonical text of the compiled `guid(resourceGroup().id, 'x')`.
        "{guid(concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name), 'x')}"
    );
    // Property access on another resource is an implicit dependency.
    assert_eq!(acr.depends_on, vec![idx(m, "uai")]);
}

#[test]
fn conditions_and_loops() {
    let u = load_str(
        "param deploy bool\nparam names array\nresource a 'Microsoft.KeyVault/vaults@2023-07-01' = if (false) {\n  name: 'a'\n}\nresource b 'Microsoft.KeyVault/vaults@2023-07-01' = if (deploy) {\n  name: 'b'\n}\nresource c 'Microsoft.KeyVault/vaults@2023-07-01' = [for (n, i) in ['x', 'y', 'z']: {\n  name: '${n}${i}'\n}]\nresource d 'Microsoft.KeyVault/vaults@2023-07-01' = [for n in names: {\n  name: n\n}]\nresource e 'Microsoft.KeyVault/vaults@2023-07-01' = [for i in range(0, 2): if (i == 1) {\n  name: 'e${i}'\n}]\n",
    );
    let m = &u.model;
    let names = |sym: &str| -> Vec<String> {
        m.resources
            .iter()
            .filter(|r| r.symbolic_name.as_deref() == Some(sym))
            .map(|r| r.display_name())
            .collect()
    };
    assert!(names("a").is_empty(), "if (false) is not deployed");
    assert_eq!(res(m, "b").presence, Presence::IfDeployed);
    assert_eq!(names("c"), vec!["x0", "y1", "z2"]);
    assert_eq!(
        names("d").len(),
        1,
        "unknown collection: one representative"
    );
    assert_eq!(res(m, "d").presence, Presence::IfDeployed);
    assert_eq!(names("e"), vec!["e1"]);
}

#[test]
fn expressions() {
    let u = load_str(
        "param p string\nparam o object = { a: { b: 'x' } }\nvar v = {\n  t: true ? 'yes' : 'no'\n  u: p == 'x' ? 'same' : 'same'\n  n: null ?? 'dflt'\n  s: o.?missing ?? 'fallback'\n  f: format('{0}-{1}', 'a', 2)\n  l: toLower('ABC')\n  r: replace('a-b', '-', '_')\n  sp: split('a/b/c', '/')[1]\n  c: concat('a', 'b')\n  e: empty([])\n  len: length('abcd')\n  un: union({ a: 1 }, { b: 2 })\n  fi: first(['q', 'r'])\n  la: last(['q', 'r'])\n  ct: contains(['a', 'b'], 'b')\n  pa: p\n  pm: o.a.b\n  mp: map([1, 2], x => x + 1)\n  co: coalesce(null, 'c')\n  up: toUpper(p)\n}\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'r'\n  properties: v\n}\n",
    );
    let r = res(&u.model, "r");
    let g = |k: &str| r.get(&format!("properties.{k}")).unwrap().value.clone();
    let s = |k: &str| g(k).as_str().map(String::from);
    assert_eq!(s("t").as_deref(), Some("yes"));
    // Unknown condition: the canonical `if(…)` of the compiled expression, not a guess.
    assert_eq!(
        g("u").to_symstr().unwrap().to_string(),
        "{if(equals(parameters('p'), 'x'), 'same', 'same')}"
    );
    assert_eq!(s("n").as_deref(), Some("dflt"));
    assert_eq!(s("s").as_deref(), Some("fallback"));
    assert_eq!(s("f").as_deref(), Some("a-2"));
    assert_eq!(s("l").as_deref(), Some("abc"));
    assert_eq!(s("r").as_deref(), Some("a_b"));
    assert_eq!(s("sp").as_deref(), Some("b"));
    assert_eq!(s("c").as_deref(), Some("ab"));
    assert!(matches!(g("e"), Value::Bool(true)));
    assert!(matches!(g("len"), Value::Int(4)));
    assert!(matches!(g("un"), Value::Object(ref o) if o.len() == 2));
    assert_eq!(s("fi").as_deref(), Some("q"));
    assert_eq!(s("la").as_deref(), Some("r"));
    assert!(matches!(g("ct"), Value::Bool(true)));
    assert!(
        matches!(g("pa").to_symstr().unwrap().as_single_sym(), Some(Sym::Param(p)) if p == "p")
    );
    assert_eq!(s("pm").as_deref(), Some("x"));
    assert!(matches!(g("mp"), Value::Array(ref a) if a[1].as_i64() == Some(3)));
    assert_eq!(s("co").as_deref(), Some("c"));
    assert!(!g("up").is_known(), "unknown stays unknown");
}

#[test]
fn fixture_with_module_and_bicepparam() {
    let path = fixture("main.bicepparam");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load_bicepparam("fixtures/main.bicepparam", Some(&path), &text);
    assert!(!u.unparseable, "{:?}", u.findings);
    assert!(u.findings.is_empty(), "{:?}", u.findings);
    assert_eq!(u.sources.get(0).name, "fixtures/main.bicep");
    assert_eq!(u.sources.get(1).name, "fixtures/main.bicepparam");
    let m = &u.model;
    let acr = res(m, "acr");
    assert_eq!(acr.display_name(), "myregistry");
    let uai = res(m, "uai");
    assert_eq!(uai.display_name(), "myregistry-uai");
    // The module is a deployment in the vault's resource group that contains the grant.
    let dep = res(m, "grant");
    assert!(dep.is_type("Microsoft.Resources/deployments"));
    assert!(
        dep.id.to_string().contains("/resourceGroups/rg-keys/"),
        "{}",
        dep.id
    );
    assert_eq!(
        dep.contains.len(),
        2,
        "the existing vault and the role assignment"
    );
    let grant_idx = dep.contains[1];
    let grant = &m.resources[grant_idx];
    assert!(grant.is_type("Microsoft.Authorization/roleAssignments"));
    assert_eq!(grant.parent_deployment, Some(idx(m, "grant")));
    assert_eq!(grant.pointer, "/modules/grant/resources/grant");
    // scope: kv → the role assignment is an extension of the vault in rg-keys.
    let kv_in_module = &m.resources[dep.contains[0]];
    assert!(
        kv_in_module
            .id
            .to_string()
            .contains("/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-cmk")
    );
    let scope = grant.get("scope").unwrap().value.to_symstr().unwrap();
    assert!(scope.same(&kv_in_module.id));
    assert!(
        grant
            .id
            .to_string()
            .starts_with(&kv_in_module.id.to_string())
    );
    // The principal passed through the module parameter keeps its symbol.
    let pid = grant
        .get("properties.principalId")
        .unwrap()
        .value
        .to_symstr()
        .unwrap();
    assert!(
        matches!(pid.as_single_sym(), Some(Sym::ResourceProp { id, path }) if id.same(&uai.id) && path == &["properties", "principalId"])
    );
    // Registry → explicit dependsOn on the module → transitively on the grant.
    assert!(m.depends_on(idx(m, "acr"), grant_idx));
    assert!(acr.depends_on.contains(&idx(m, "uai")));
    // The registry's user-assigned identity key is the identity's id.
    let ids = acr
        .get("identity.userAssignedIdentities")
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(ids.entries[0].0.name, uai.id.to_string());
    // Key URI: literal prefix, symbolic DNS suffix.
    let key = acr
        .get("properties.encryption.keyVaultProperties.keyIdentifier")
        .unwrap();
    assert_eq!(
        key.value.to_symstr().unwrap().lit_prefix(),
        "https://kv-cmk"
    );
    // Suppression with its reason, covering the registry's declaration line.
    let s = &m.suppressions[0];
    let codes: Vec<&str> = s.codes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["CMK011"]);
    assert_eq!(s.reason.as_deref(), Some("no tasks here"));
    match s.scope {
        acr_cmk::model::SuppressionScope::Range { file, start, end } => {
            assert_eq!(file, 0);
            assert!(start <= acr.loc.start && acr.loc.start < end);
        }
        ref other => panic!("{other:?}"),
    }
    // Locations are spans in the .bicep text.
    let text0 = &u.sources.get(0).text;
    assert_eq!(
        &text0[acr.loc.range()],
        "'Microsoft.ContainerRegistry/registries@2025-11-01'"
    );
}

#[test]
fn json_parameter_file_supplies_values() {
    let path = fixture("main.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let params = r#"{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","parameters":{"registryName":{"value":"fromjson"}}}"#;
    let u = bicep::load(
        "main.bicep",
        Some(&path),
        &text,
        &[("p.json".into(), params.into())],
    );
    assert_eq!(res(&u.model, "acr").display_name(), "fromjson");
    assert_eq!(u.sources.get(1).name, "p.json");
}

#[test]
fn spread_is_recovered_not_rejected() {
    let path = fixture("spread.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load("spread.bicep", Some(&path), &text, &[]);
    assert!(!u.unparseable, "{:?}", u.findings);
    let acr = res(&u.model, "acr");
    assert_eq!(acr.display_name(), "reg2");
    assert_eq!(acr.get("sku.name").unwrap().as_str(), Some("Premium"));
    // Spread of an unknown object: the whole object is unknown, not a guess.
    assert!(acr.get("properties").unwrap().value.is_sym());
}

#[test]
fn syntax_errors_are_located_bicep000() {
    let path = fixture("broken.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load("broken.bicep", Some(&path), &text, &[]);
    // Both statements are broken (a .bicepparam `param`, an unclosed resource): each is
    // reported and skipped; the unit is incomplete (exit 2), not a model of nothing.
    assert!(!u.unparseable && u.incomplete);
    assert_eq!(u.findings.len(), 2, "{:?}", u.findings);
    assert!(u.findings.iter().all(|f| f.code == "BICEP000"));
    assert_eq!(u.model.broken.len(), 2);
    assert!(u.model.resources.is_empty());
    assert_eq!(
        u.sources
            .get(0)
            .line_col(u.findings[0].loc.start as usize)
            .0,
        1
    );
}

#[test]
fn hostile_input_does_not_panic() {
    let deep = format!("var x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    let _ = bicep::load("deep.bicep", None, &deep, &[]);
    let quotes = "var x = 'a\\'b${'c'}'\nresource r 'A.B/c@1' = { name: x }\n";
    let u = bicep::load("q.bicep", None, quotes, &[]);
    assert_eq!(u.model.resources[0].display_name(), "a'bc");
    let cyc = "var a = b\nvar b = a\nresource r 'A.B/c@1' = { name: a }\n";
    let u = bicep::load("c.bicep", None, cyc, &[]);
    assert!(u.model.resources[0].name.value.is_sym());
}

#[test]
fn split_of_a_parameter_is_canonical_not_the_parameter() {
    // A parameter may hold a whole resource id: `last(split(id, '/'))` is not the parameter but
    // the canonical expression (as the ARM evaluator renders the compiled template).
    let u = load_str(
        "param vaultId string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' existing = {\n  name: last(split(vaultId, '/'))\n}\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: split('${subscription().subscriptionId}/x', '/')[1]\n}\n",
    );
    let kv = res(&u.model, "kv");
    assert_eq!(
        kv.name.value.to_symstr().unwrap().to_string(),
        "{last(split(parameters('vaultId'), '/'))}"
    );
    assert_eq!(res(&u.model, "r").display_name(), "x");
}

#[test]
fn deeply_nested_resources_and_errors_do_not_overflow() {
    let mut src = String::new();
    for i in 0..400 {
        src.push_str(&format!("resource r{i} 'c{i}' = {{\n name: 'n'\n"));
    }
    src.push_str(&"}\n".repeat(400));
    let _ = bicep::load(
        "deep.bicep",
        None,
        &format!("resource top 'A.B/c@1' = {{\n name: 'x'\n{src}}}\n"),
        &[],
    );
    let broken = format!("var x = {}\n", "[".repeat(20000));
    let u = bicep::load("broken.bicep", None, &broken, &[]);
    assert!(u.incomplete);
    assert_eq!(u.findings[0].code, "BICEP000");
}

#[test]
fn method_calls_on_resources_are_dependencies() {
    let u = load_str(
        "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'sa'\n}\nresource app 'Microsoft.Web/sites@2023-01-01' = {\n  name: 'app'\n  properties: {\n    key: sa.listKeys().keys[0].value\n  }\n}\n",
    );
    let m = &u.model;
    assert_eq!(res(m, "app").depends_on, vec![idx(m, "sa")]);
    assert!(res(m, "app").get("properties.key").unwrap().value.is_sym());
}

#[test]
fn broken_parameter_file_is_located_and_unparseable() {
    let load_with = |bicepparam: &str| {
        bicep::load(
            "main.bicep",
            None,
            "param a string\n",
            &[("main.bicepparam".into(), bicepparam.into())],
        )
    };
    // A broken `param` is recovered from: its value is unknown, the unit incomplete. A broken
    // `using` may hide every value: the unit is unparseable.
    for (text, unparseable) in [
        ("using './main.bicep'\nparam a = \n", false),
        ("using './main.bicep' +\nparam a = 'x'\n", true),
    ] {
        let u = load_with(text);
        assert_eq!(u.unparseable, unparseable, "{text}");
        assert!(u.unparseable || u.incomplete, "{text}");
        assert_eq!(u.findings[0].code, "BICEP000");
        assert_eq!(u.findings[0].loc.file, 1, "located in the parameter file");
    }
}

#[test]
fn undeployed_resources_keep_their_id_and_loop_positions() {
    let u = load_str(
        "resource a 'Microsoft.KeyVault/vaults@2023-07-01' = if (false) {\n  name: 'a'\n}\nresource b 'Microsoft.KeyVault/vaults@2023-07-01' = [for i in range(0, 3): if (i != 1) {\n  name: 'b${i}'\n}]\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'r'\n  properties: {\n    aid: a.id\n    b2: b[2].name\n  }\n}\n",
    );
    let m = &u.model;
    let r = res(m, "r");
    let aid = r.get("properties.aid").unwrap().value.to_symstr().unwrap();
    assert!(
        aid.to_string()
            .ends_with("/providers/Microsoft.KeyVault/vaults/a")
    );
    assert_eq!(r.get("properties.b2").unwrap().as_str(), Some("b2"));
    // Only deployed instances are in the model; the edge goes to the deployed b[2].
    let bs: Vec<usize> = m
        .resources
        .iter()
        .enumerate()
        .filter(|(_, x)| x.symbolic_name.as_deref() == Some("b"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(bs.len(), 2);
    assert_eq!(r.depends_on, vec![bs[1]]);
}

#[test]
fn imported_variables_and_functions_are_evaluated() {
    let path = fixture("imports/main.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load("imports/main.bicep", Some(&path), &text, &[]);
    assert!(!u.unparseable, "{:?}", u.findings);
    let acr = res(&u.model, "acr");
    assert_eq!(acr.display_name(), "contosoregistry");
    assert_eq!(acr.get("sku.name").unwrap().as_str(), Some("Premium"));
    assert_eq!(
        acr.get("properties.other").unwrap().as_str(),
        Some("Premium")
    );
    assert_eq!(
        acr.get("properties.called").unwrap().as_str(),
        Some("xregistry")
    );
    // The imported file is read once and joins the sources.
    assert_eq!(u.sources.len(), 2);
}

#[test]
fn known_spreads_merge() {
    let u = load_str(
        "var a = [1, 2]\nvar o = { x: 1, y: 2 }\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'r'\n  properties: {\n    list: [...a, 3]\n    obj: {\n      ...o\n      y: 5\n    }\n  }\n}\n",
    );
    let r = res(&u.model, "r");
    let list = r.get("properties.list").unwrap().as_array().unwrap();
    assert_eq!(
        list.iter().filter_map(|n| n.as_i64()).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(r.get("properties.obj.x").unwrap().as_i64(), Some(1));
    assert_eq!(
        r.get("properties.obj.y").unwrap().as_i64(),
        Some(5),
        "later keys win"
    );
}

#[test]
fn dependencies_are_syntactic_like_the_compiler() {
    // `deploy` is false: evaluation never reads `b`, but the compiler still emits the edge.
    let u = load_str(
        "param items array\nresource a 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'a'\n}\nresource b 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'b'\n}\nvar viaVar = a.id\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'r'\n  properties: {\n    x: false ? b.id : 'none'\n    y: [for i in items: viaVar]\n  }\n}\n",
    );
    let m = &u.model;
    let mut deps = res(m, "r").depends_on.clone();
    deps.sort();
    assert_eq!(deps, vec![idx(m, "a"), idx(m, "b")]);
}

#[test]
fn nested_children_with_the_same_name_are_distinct() {
    let u = load_str(
        "resource a 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'a'\n  resource k 'keys' = {\n    name: 'ka'\n  }\n}\nresource b 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'b'\n  resource k 'keys' = {\n    name: 'kb'\n  }\n}\nresource r 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'r'\n  properties: {\n    uri: b::k.properties.keyUri\n  }\n}\n",
    );
    let m = &u.model;
    assert_eq!(res(m, "a::k").display_name(), "a/ka");
    assert_eq!(res(m, "b::k").display_name(), "b/kb");
    let r = res(m, "r");
    assert!(r.depends_on.contains(&idx(m, "b::k")));
    match &r.get("properties.uri").unwrap().value {
        Value::Sym(s) => match s.as_single_sym() {
            Some(Sym::ResourceProp { id, .. }) => assert!(id.same(&res(m, "b::k").id)),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_parent_and_variable_chains_do_not_overflow() {
    let mut src = String::from("resource r0 'A.B/c@1' = {\n  name: 'x'\n}\n");
    for i in 1..600 {
        src.push_str(&format!(
            "resource r{i} 'A.B/c/d@1' = {{\n  parent: r{}\n  name: 'x'\n}}\n",
            i - 1
        ));
    }
    for i in 1..600 {
        src.push_str(&format!("var v{i} = v{}\n", i - 1));
    }
    src.push_str("var v0 = r0.id\nresource last 'A.B/c@1' = {\n  name: v599\n}\n");
    let u = bicep::load("chain.bicep", None, &src, &[]);
    assert!(!u.unparseable);
}

#[test]
fn json_module_loads_through_the_arm_front_end() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/json-module/main.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load("json-module/main.bicep", Some(&path), &text, &[]);
    assert!(!u.unparseable, "{:?}", u.findings);
    assert!(
        u.findings.iter().all(|f| f.code != "BICEP001"),
        "{:?}",
        u.findings
    );
    let m = &u.model;
    let deployment = idx(m, "registry");
    let acr = m
        .resources
        .iter()
        .position(|r| r.ty == "Microsoft.ContainerRegistry/registries")
        .expect("the JSON module's registry is in the model");
    let r = &m.resources[acr];
    // Modelled like a nested deployment: inside the module's deployment, in the JSON file.
    assert_eq!(r.parent_deployment, Some(deployment));
    assert_eq!(m.resources[deployment].contains, vec![acr]);
    assert_eq!(u.sources.get(r.loc.file).name, "json-module/registry.json");
    assert_eq!(r.pointer, "/modules/registry/resources/0");
    // The module's params are the template's parameter values.
    assert_eq!(r.display_name(), "acrcmkfixture01");
    assert_eq!(r.get("sku.name").unwrap().as_str(), Some("Standard"));
    // The symbols its params use and its explicit dependsOn are its deployment's dependencies.
    assert_eq!(
        m.resources[deployment].depends_on,
        vec![idx(m, "uai"), idx(m, "grant")]
    );
    // Its outputs come back.
    let tags = res(m, "tags");
    assert_eq!(
        tags.get("properties.tags.registry").unwrap().as_str(),
        Some("acrcmkfixture01")
    );
}

#[test]
fn json_module_that_is_not_a_template_is_a_note_and_opaque() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/ARM000/bad.json");
    let dir = path.parent().unwrap().join("main.bicep");
    let text = "module m './bad.json' = {\n  name: 'm'\n}\noutput x string = m.outputs.x\n";
    let u = bicep::load("ARM000/main.bicep", Some(&dir), text, &[]);
    let codes: Vec<&str> = u.findings.iter().map(|f| f.code).collect();
    // The parse error, located in the JSON file, and a note at the module that it is not followed.
    assert_eq!(codes, ["ARM000", "BICEP001"], "{:?}", u.findings);
    assert_eq!(
        u.sources.get(u.findings[0].loc.file).name,
        "ARM000/bad.json"
    );
    assert_eq!(&text[u.findings[1].loc.range()], "'./bad.json'");
    assert!(!u.unparseable);
}

#[test]
fn registry_modules_are_a_note() {
    let text = "module m 'br/public:avm/res/container-registry/registry:0.9.0' = [for i in range(0, 3): {\n  name: 'm${i}'\n}]\n";
    let u = load_str(text);
    // One note for the declaration, not one per loop instance.
    let notes: Vec<_> = u.findings.iter().filter(|f| f.code == "BICEP001").collect();
    assert_eq!(notes.len(), 1, "{:?}", u.findings);
    assert!(notes[0].message.starts_with("registry module not followed"));
}

#[test]
fn imports_from_a_json_template_are_evaluated() {
    let path = fixture("imports/from-json.bicep");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = bicep::load("imports/from-json.bicep", Some(&path), &text, &[]);
    assert!(u.findings.is_empty(), "{:?}", u.findings);
    let acr = res(&u.model, "acr");
    assert_eq!(acr.display_name(), "contosoreg01");
    assert_eq!(acr.get("sku.name").unwrap().as_str(), Some("Premium"));
    assert_eq!(
        acr.get("properties.other").unwrap().as_str(),
        Some("Premium")
    );
    // The template is read once and joins the sources.
    assert_eq!(u.sources.len(), 2);
}
