//! Small, exact parity cases behind the AVM oracle (`corpus/oracle_avm.rs`): each pins one place where
//! the Bicep and ARM front ends used to disagree, written in both formats where both apply.

use acr_cmk::model::{Model, Resource, Value};
use acr_cmk::{arm, bicep, rules};

fn arm_model(text: &str, params: &[(String, String)]) -> Model {
    let u = arm::load("t.json", None, text, params);
    assert!(
        !u.unparseable,
        "{:?}",
        u.findings.first().map(|f| &f.message)
    );
    u.model
}

fn bicep_model(text: &str, params: &[(String, String)]) -> Model {
    let u = bicep::load("t.bicep", None, text, params);
    assert!(
        !u.unparseable,
        "{:?}",
        u.findings.first().map(|f| &f.message)
    );
    u.model
}

fn one<'m>(m: &'m Model, ty: &'m str) -> &'m Resource {
    let found: Vec<_> = m.of_type(ty).collect();
    assert_eq!(
        found.len(),
        1,
        "{ty} in {:?}",
        m.resources.iter().map(|r| &r.ty).collect::<Vec<_>>()
    );
    found[0].1
}

fn name(r: &Resource) -> String {
    r.display_name()
}

fn arm_identity(params: &str, name_expr: &str) -> String {
    format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{ {params} }},
  "resources": [ {{
    "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
    "name": "{name_expr}", "location": "westeurope" }} ]
}}"#
    )
}

fn bicep_identity(params: &str, name_expr: &str) -> String {
    format!(
        "{params}\nresource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {{\n  name: {name_expr}\n  location: 'westeurope'\n}}\n"
    )
}

const IDENTITY: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

/// A partly literal string is never null: `coalesce` / `??` give it, exactly, in both formats.
#[test]
fn coalesce_of_a_partly_literal_string_is_that_string() {
    let a = arm_model(
        &arm_identity(
            r#""p": { "type": "string" }"#,
            "[coalesce(concat('id-', parameters('p')), 'fallback')]",
        ),
        &[],
    );
    let b = bicep_model(
        &bicep_identity("param p string", "'id-${p}' ?? 'fallback'"),
        &[],
    );
    let b2 = bicep_model(
        &bicep_identity("param p string", "coalesce('id-${p}', 'fallback')"),
        &[],
    );
    for m in [&a, &b, &b2] {
        assert_eq!(name(one(m, IDENTITY)), "id-{parameters('p')}");
    }
}

/// A lone unknown may be null: both formats give the same canonical `coalesce(…)` symbol.
#[test]
fn coalesce_of_a_lone_unknown_is_the_same_symbol_in_both_formats() {
    let a = arm_model(
        &arm_identity(
            r#""p": { "type": "string" }"#,
            "[coalesce(parameters('p'), 'fallback')]",
        ),
        &[],
    );
    let b = bicep_model(&bicep_identity("param p string", "p ?? 'fallback'"), &[]);
    let (ra, rb) = (one(&a, IDENTITY), one(&b, IDENTITY));
    let (Value::Sym(sa), Value::Sym(sb)) = (&ra.name.value, &rb.name.value) else {
        panic!("{:?} / {:?}", ra.name.value, rb.name.value);
    };
    assert!(sa.same(sb), "{sa} vs {sb}");
    assert_eq!(sa.to_string(), "{coalesce(parameters('p'), 'fallback')}");
}

/// A nested template's `nullable` parameter the deployment does not pass is null; at the top
/// level (where the deployer may still pass it) it stays unknown.
#[test]
fn a_nullable_parameter_left_out_of_a_nested_deployment_is_null() {
    let inner = arm_identity(
        r#""x": { "type": "string", "nullable": true }"#,
        "[coalesce(parameters('x'), 'id-fallback')]",
    );
    let outer = format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [ {{
    "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nested",
    "properties": {{ "mode": "Incremental", "expressionEvaluationOptions": {{ "scope": "inner" }},
      "parameters": {{}}, "template": {inner} }} }} ]
}}"#
    );
    assert_eq!(name(one(&arm_model(&outer, &[]), IDENTITY)), "id-fallback");
    let top = arm_model(&inner, &[]);
    assert!(matches!(one(&top, IDENTITY).name.value, Value::Sym(_)));
}

/// ARM evaluates expressions of an outer-scope nested template in the parent's scope, but
/// deploys its resources to the deployment's resource group.
#[test]
fn outer_scope_templates_evaluate_resource_id_in_the_parent_scope() {
    let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [ {
    "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nested",
    "resourceGroup": "rg-other",
    "properties": { "mode": "Incremental", "template": {
      "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "contentVersion": "1.0.0.0",
      "resources": [ {
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
        "name": "id-x", "location": "westeurope",
        "tags": { "seen": "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
                  "rg": "[resourceGroup().name]" } } ] } } } ]
}"#;
    let m = arm_model(text, &[]);
    let r = one(&m, IDENTITY);
    assert!(
        r.id.to_string().contains("/resourceGroups/rg-other/"),
        "{}",
        r.id
    );
    let tag = |k: &str| match &r.get(&format!("tags.{k}")).unwrap().value {
        Value::Sym(s) => s.to_string(),
        other => format!("{other:?}"),
    };
    assert!(!tag("seen").contains("rg-other"), "{}", tag("seen"));
    assert!(
        tag("seen").contains("resourceGroup().name"),
        "{}",
        tag("seen")
    );
    assert_eq!(tag("rg"), "{resourceGroup().name}");
}

/// A Bicep module is modelled in its compiled form: a deployment with `properties.mode`,
/// `expressionEvaluationOptions.scope: inner`, `parameters.<p>.value` and the target resource
/// group from `scope`.
#[test]
fn bicep_modules_have_the_compiled_deployment_body() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mod.bicep"),
        "param idName string\nresource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: idName\n  location: 'westeurope'\n}\n",
    )
    .unwrap();
    let main = "module m 'mod.bicep' = {\n  name: 'grant'\n  scope: resourceGroup('rg-other')\n  params: {\n    idName: 'id-x'\n  }\n}\n";
    let path = dir.path().join("main.bicep");
    std::fs::write(&path, main).unwrap();
    let u = bicep::load("main.bicep", Some(&path), main, &[]);
    let d = one(&u.model, "Microsoft.Resources/deployments");
    assert_eq!(
        d.get("properties.mode").and_then(|n| n.as_str()),
        Some("Incremental")
    );
    assert_eq!(
        d.get("properties.expressionEvaluationOptions.scope")
            .and_then(|n| n.as_str()),
        Some("inner")
    );
    assert_eq!(
        d.get("properties.parameters.idName.value")
            .and_then(|n| n.as_str()),
        Some("id-x")
    );
    assert_eq!(
        d.get("resourceGroup").and_then(|n| n.as_str()),
        Some("rg-other")
    );
    assert!(d.get("params").is_none() && d.get("scope").is_none());
    // The model is what SCH001 validates: the compiled shape is valid.
    let ctx = rules::Ctx::new(&u.model);
    let sch: Vec<_> = rules::run(&ctx, &|m| m.code == "SCH001");
    assert!(
        sch.is_empty(),
        "{:?}",
        sch.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert_eq!(name(one(&u.model, IDENTITY)), "id-x");
}

/// ARM parameter JSON with comments (which ARM accepts) works for Bicep too, and its values
/// point into the parameter file.
#[test]
fn bicep_reads_arm_parameter_json_leniently_with_locations() {
    let params = "{\n  // the identity\n  \"parameters\": { \"p\": { \"value\": \"id-from-file\" },\n    \"t\": { \"value\": { \"team\": \"acr\" } }, },\n}\n";
    let text = bicep_identity("param p string\nparam t object", "p").replace(
        "location: 'westeurope'",
        "location: 'westeurope'\n  tags: t",
    );
    let u = bicep::load(
        "t.bicep",
        None,
        &text,
        &[("t.parameters.json".into(), params.into())],
    );
    assert!(
        !u.unparseable,
        "{:?}",
        u.findings.first().map(|f| &f.message)
    );
    let r = one(&u.model, IDENTITY);
    assert_eq!(name(r), "id-from-file");
    // Inside a value taken from the file, locations point into the file (file 1).
    let team = r.get("tags.team").unwrap();
    assert_eq!(team.loc.file, 1, "the value points into the parameter file");
    let at = team.loc.start as usize;
    assert!(params[at..].starts_with("\"acr\""), "{}", &params[at..]);
    // Broken JSON is an ARM000 finding on the parameter file, not a crash.
    let bad = bicep::load(
        "t.bicep",
        None,
        &bicep_identity("param p string", "p"),
        &[("bad.json".into(), "{ \"parameters\": ".into())],
    );
    assert!(bad.unparseable && bad.findings.iter().any(|f| f.code == "ARM000"));
}

/// `existing` resources are references, never deployed: CMK017 (every registry must use CMK)
/// does not fire on them in either format.
#[test]
fn existing_registries_are_skipped_in_both_formats() {
    let b = bicep_model(
        "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {\n  name: 'acrexisting'\n}\noutput id string = acr.id\n",
        &[],
    );
    let a = arm_model(
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "languageVersion": "2.0", "contentVersion": "1.0.0.0",
  "resources": { "acr": { "type": "Microsoft.ContainerRegistry/registries",
    "apiVersion": "2023-07-01", "name": "acrexisting", "existing": true } }
}"#,
        &[],
    );
    for m in [&b, &a] {
        assert!(one(m, "Microsoft.ContainerRegistry/registries").existing);
        let ctx = rules::Ctx::new(m);
        let f = rules::run(&ctx, &|_| true);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}

/// Upstream tree-sitter-bicep 1.1 parsed `a && b.c != d` as `((a && b).c) != d`; Bicep (and the
/// compiled JSON) means `a && ((b.c) != d)`, as the project's grammar parses it. The AVM lock pattern must not deploy a lock when `lock` is
/// null, as the compiled template does not.
#[test]
fn property_access_binds_tighter_than_operators() {
    let text = "param lock object?\nparam o object = { k: 'v', arr: [ 'a0' ] }\n\
resource l 'Microsoft.Authorization/locks@2020-05-01' = if (!empty(lock ?? {}) && lock.?kind != 'None') {\n  name: 'lock'\n}\n\
resource m 'Microsoft.Authorization/locks@2020-05-01' = if ('v' == o.k && !empty(o.arr)) {\n  name: 'm-${1 + length(o.arr) * 2}-${false ? 'x' : o.arr[0]}'\n}\n";
    let params = r#"{ "parameters": { "lock": { "value": null } } }"#;
    let m = bicep_model(text, &[("p.json".into(), params.into())]);
    let names: Vec<String> = m.resources.iter().map(name).collect();
    assert_eq!(names, ["m-3-a0"]);
    assert_eq!(m.resources[0].presence, acr_cmk::model::Presence::Always);
}

/// Names built with `take(…)` of a partly unknown string, a top-level parameter whose default
/// is not deterministic (`utcNow()`), and `coalesce(null, x)`: the same value in both formats.
#[test]
fn take_utcnow_defaults_and_trailing_coalesce_agree() {
    let cases = [
        (
            r#""p": { "type": "string" }"#,
            "[take(format('id-{0}', parameters('p')), 64)]",
            "param p string",
            "take('id-${p}', 64)",
        ),
        (
            r#""t": { "type": "string", "defaultValue": "[utcNow()]" }"#,
            "[format('id-{0}', parameters('t'))]",
            "param t string = utcNow()",
            "'id-${t}'",
        ),
        (
            r#""n": { "type": "string", "nullable": true }, "o": { "type": "object" }"#,
            "[coalesce(parameters('n'), parameters('o').kind)]",
            "param n string?\nparam o object",
            "n ?? o.kind",
        ),
    ];
    for (ap, ae, bp, be) in cases {
        let a = arm_model(&arm_identity(ap, ae), &[]);
        let b = bicep_model(&bicep_identity(bp, be), &[]);
        let (ra, rb) = (one(&a, IDENTITY), one(&b, IDENTITY));
        let (Value::Sym(sa), Value::Sym(sb)) = (&ra.name.value, &rb.name.value) else {
            panic!("{be}: {:?} / {:?}", ra.name.value, rb.name.value);
        };
        assert!(sa.same(sb), "{be}: {sa} vs {sb}");
    }
}

/// The same grammar fault around method calls: `x ?? az.resourceGroup().name` is
/// `x ?? (az.resourceGroup().name)`, as ARM's `coalesce(parameters('x'), resourceGroup().name)`.
#[test]
fn namespace_calls_after_operators_agree_with_arm() {
    let a = arm_model(
        &arm_identity(
            r#""x": { "type": "string" }"#,
            "[coalesce(parameters('x'), resourceGroup().name)]",
        ),
        &[],
    );
    for expr in ["x ?? az.resourceGroup().name", "x ?? resourceGroup().name"] {
        let b = bicep_model(&bicep_identity("param x string", expr), &[]);
        let (ra, rb) = (one(&a, IDENTITY), one(&b, IDENTITY));
        let (Value::Sym(sa), Value::Sym(sb)) = (&ra.name.value, &rb.name.value) else {
            panic!("{expr}: {:?} / {:?}", ra.name.value, rb.name.value);
        };
        assert!(sa.same(sb), "{expr}: {sa} vs {sb}");
    }
    let b = bicep_model(
        &bicep_identity("param x string", "empty(x) ? sys.concat('p', 'q') : 'z'"),
        &[],
    );
    assert_eq!(
        name(one(&b, IDENTITY)),
        "{if(empty(parameters('x')), 'pq', 'z')}"
    );
}

/// Bicep's built-in functions are ARM's (the compiler emits them verbatim), so the Bicep front
/// end evaluates them with the ARM implementation. Each case is one place where a second copy
/// had drifted: `items()` order, deep `union()`, multi-character `split()` separators,
/// character-based `substring()`, `take()` of a string, `string()` of an object.
#[test]
fn bicep_builtins_have_arm_semantics() {
    let cases = [
        (
            "[first(items(createObject('b', 1, 'a', 2))).key]",
            "var o = {\n  b: 1\n  a: 2\n}",
            "first(items(o)).key",
            "a",
        ),
        (
            "[string(union(createObject('a', createObject('b', 1)), createObject('a', createObject('c', 2))))]",
            "var x = {\n  a: {\n    b: 1\n  }\n}\nvar y = {\n  a: {\n    c: 2\n  }\n}",
            "string(union(x, y))",
            r#"{"a":{"b":1,"c":2}}"#,
        ),
        (
            "[join(split('a--b-c', '--'), '+')]",
            "",
            "join(split('a--b-c', '--'), '+')",
            "a+b-c",
        ),
        (
            "[substring('é-abc', 1, 3)]",
            "",
            "substring('é-abc', 1, 3)",
            "-ab",
        ),
        ("[take('abcdef', 3)]", "", "take('abcdef', 3)", "abc"),
        // `'${x}'` compiles to format('{0}', x): booleans print as .NET does.
        (
            "[format('id-{0}-{1}', true, 7)]",
            "var on = true",
            "'id-${on}-${7}'",
            "id-True-7",
        ),
    ];
    for (ae, bp, be, want) in cases {
        let a = arm_model(&arm_identity("", ae), &[]);
        let b = bicep_model(&bicep_identity(bp, be), &[]);
        assert_eq!(name(one(&a, IDENTITY)), want, "ARM {ae}");
        assert_eq!(name(one(&b, IDENTITY)), want, "Bicep {be}");
    }
}

/// `{0:D3}` pads a number (a .NET format string): not modelled, so unknown in both formats
/// rather than a wrong `5`.
#[test]
fn format_specifiers_are_unknown_in_both_formats() {
    let a = arm_model(&arm_identity("", "[format('id-{0:D3}', 5)]"), &[]);
    let b = bicep_model(&bicep_identity("", "format('id-{0:D3}', 5)"), &[]);
    for m in [&a, &b] {
        let v = &one(m, IDENTITY).name.value;
        assert!(!v.is_known(), "{v:?}");
    }
    // A string ignores its specifier.
    let b = bicep_model(&bicep_identity("", "format('id-{0:x}', 'k')"), &[]);
    assert_eq!(name(one(&b, IDENTITY)), "id-k");
}
