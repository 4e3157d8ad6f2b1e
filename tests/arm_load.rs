//! Template → model: child resources, copy loops, conditions, dependsOn, nested deployments,
//! symbolic names, suppressions, parameter files, parse errors.

use acr_cmk::arm::{self, JsonKind};
use acr_cmk::model::{Model, Presence, Resource, SuppressionScope, Sym, Value};
use acr_cmk::unit::Unit;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/arm")
        .join(name)
}

fn load(name: &str, params: &[&str]) -> Unit {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let params: Vec<(String, String)> = params
        .iter()
        .map(|p| (p.to_string(), std::fs::read_to_string(fixture(p)).unwrap()))
        .collect();
    arm::load(name, Some(&path), &text, &params)
}

fn one<'a>(m: &'a Model, ty: &'a str) -> (usize, &'a Resource) {
    let all: Vec<_> = m.of_type(ty).collect();
    assert_eq!(all.len(), 1, "expected one {ty}");
    all[0]
}

fn text(unit: &Unit, loc: acr_cmk::source::Loc) -> String {
    unit.sources.get(loc.file).text[loc.range()].to_string()
}

#[test]
fn detects_kinds() {
    assert_eq!(
        arm::detect(&std::fs::read_to_string(fixture("cmk.json")).unwrap()),
        JsonKind::Template
    );
    assert_eq!(
        arm::detect(&std::fs::read_to_string(fixture("cmk.parameters.json")).unwrap()),
        JsonKind::Parameters
    );
    assert_eq!(
        arm::detect(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"}"#
        ),
        JsonKind::Template
    );
    assert_eq!(arm::detect(r#"{"a": 1}"#), JsonKind::Other);
    assert_eq!(arm::detect("{"), JsonKind::Unparseable);
}

#[test]
fn children_copy_conditions_and_dependencies() {
    let unit = load("cmk.json", &[]);
    assert!(unit.findings.is_empty(), "{:?}", unit.findings);
    let m = &unit.model;
    // Nested child `keys` gets its full type and name, and depends on its parent.
    let (vault_idx, vault) = one(m, "Microsoft.KeyVault/vaults");
    let (key_idx, key) = one(m, "Microsoft.KeyVault/vaults/keys");
    assert_eq!(key.name.as_str(), Some("kv-default/acrkey"));
    assert!(key.depends_on.contains(&vault_idx));
    assert_eq!(key.pointer, "/resources/1/resources/0");
    assert_eq!(text(&unit, key.loc), "\"keys\"");
    // A child declared with its full type keeps its name as written.
    let (policy_idx, policy) = one(m, "Microsoft.KeyVault/vaults/accessPolicies");
    assert_eq!(policy.name.as_str(), Some("kv-default/add"));
    // The registry: unknown name (no parameter file), known SKU from the default.
    let (reg_idx, reg) = one(m, "Microsoft.ContainerRegistry/registries");
    assert!(
        matches!(reg.name.value.to_symstr().unwrap().as_single_sym(), Some(Sym::Param(p)) if p == "registryName")
    );
    assert_eq!(
        reg.get("sku.name").and_then(|n| n.as_str()),
        Some("Premium")
    );
    // dependsOn by resourceId (variable), by resourceId of a child, and by `type/name`.
    let (uai_idx, _) = one(m, "Microsoft.ManagedIdentity/userAssignedIdentities");
    for d in [uai_idx, policy_idx, key_idx] {
        assert!(
            reg.depends_on.contains(&d),
            "registry deps {:?} lack {d}",
            reg.depends_on
        );
    }
    assert!(
        m.depends_on(reg_idx, vault_idx),
        "transitively through the key"
    );
    // The key identity is the identity's runtime clientId, matched by canonical id.
    let ident = reg
        .get("properties.encryption.keyVaultProperties.identity")
        .unwrap();
    let Some(Sym::ResourceProp { id, path }) =
        ident.value.to_symstr().unwrap().as_single_sym().cloned()
    else {
        panic!("identity is {:?}", ident.value)
    };
    assert!(id.same(&m.resources[uai_idx].id));
    assert_eq!(path, ["properties", "clientId"]);
    // userAssignedIdentities keys are evaluated.
    let uais = reg
        .get("identity.userAssignedIdentities")
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(uais.entries[0].0.name, m.resources[uai_idx].id.to_string());
    // Copy loop: 2 replicas by default, with copyIndex evaluated.
    let replicas: Vec<_> = m
        .of_type("Microsoft.ContainerRegistry/registries/replications")
        .collect();
    assert_eq!(replicas.len(), 2);
    assert_eq!(
        replicas[1].1.get("location").and_then(|l| l.as_str()),
        Some("northeurope")
    );
    // Unknown condition ⇒ IfDeployed; its dependency on the copy loop means every instance.
    let (_, hook) = one(m, "Microsoft.ContainerRegistry/registries/webhooks");
    assert_eq!(hook.presence, Presence::IfDeployed);
    for (i, _) in &replicas {
        assert!(hook.depends_on.contains(i));
    }
    // condition: false ⇒ not in the model.
    assert_eq!(m.of_type("Microsoft.Storage/storageAccounts").count(), 0);
    // Extension resource scoped to the vault (type/name form): its id hangs off the vault id.
    let (_, ra) = one(m, "Microsoft.Authorization/roleAssignments");
    let ra_id = ra.id.to_string();
    assert!(ra_id.starts_with(&vault.id.to_string()), "{ra_id}");
    assert!(ra_id.contains("/providers/Microsoft.Authorization/roleAssignments/"));
    let principal = ra.get("properties.principalId").unwrap();
    assert!(matches!(
        principal.value.to_symstr().unwrap().as_single_sym(),
        Some(Sym::ResourceProp { path, .. }) if path == &["properties", "principalId"]
    ));
}

#[test]
fn suppressions_on_template_and_resource() {
    let unit = load("cmk.json", &[]);
    let s = &unit.model.suppressions;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].codes, ["CMK011"]);
    assert_eq!(s[0].scope, SuppressionScope::All);
    assert_eq!(s[0].reason.as_deref(), Some("no tasks logs needed"));
    assert!(text(&unit, s[0].loc).starts_with("\"acr-cmk\""));
    let (reg_idx, _) = one(&unit.model, "Microsoft.ContainerRegistry/registries");
    assert_eq!(s[1].scope, SuppressionScope::Resource(reg_idx));
    assert_eq!(s[1].codes, ["CMK019"]);
    assert_eq!(s[1].reason, None);
}

#[test]
fn parameter_files_apply_and_keep_their_location() {
    let unit = load("cmk.json", &["cmk.parameters.json"]);
    let (_, reg) = one(&unit.model, "Microsoft.ContainerRegistry/registries");
    assert_eq!(reg.name.as_str(), Some("myacr"));
    let sku = reg.get("sku.name").unwrap();
    assert_eq!(sku.as_str(), Some("Standard"));
    // The finding about the SKU points at the parameters file, where the value was written.
    assert_eq!(sku.loc.file, 1);
    assert_eq!(text(&unit, sku.loc), "\"Standard\"");
    assert_eq!(
        unit.model
            .of_type("Microsoft.ContainerRegistry/registries/replications")
            .count(),
        3
    );
}

#[test]
fn nested_deployments_inner_outer_linked() {
    let unit = load("nested.json", &[]);
    let m = &unit.model;
    // Inner scope: the parameter passed is evaluated in the outer scope; the inner `prefix`
    // parameter shadows the outer one; resourceGroup on the deployment changes the scope.
    let (vault_idx, vault) = one(m, "Microsoft.KeyVault/vaults");
    assert_eq!(vault.name.as_str(), Some("outer-v"));
    assert_eq!(
        vault.get("properties.label").and_then(|l| l.as_str()),
        Some("inner")
    );
    assert!(
        vault.id.to_string().contains("/resourceGroups/other-rg/"),
        "{}",
        vault.id
    );
    let dep_idx = vault.parent_deployment.expect("declared by a deployment");
    assert_eq!(m.resources[dep_idx].name.as_str(), Some("innerScope"));
    assert_eq!(m.resources[dep_idx].contains, [vault_idx]);
    assert_eq!(
        vault.pointer,
        "/resources/0/properties/template/resources/0"
    );
    // Outer scope (default): the inner template sees the outer parameters.
    let (_, uai) = one(m, "Microsoft.ManagedIdentity/userAssignedIdentities");
    assert_eq!(uai.name.as_str(), Some("outer-id"));
    // Linked template by relative path: added to the sources, parameters passed.
    let linked: Vec<_> = m
        .of_type("Microsoft.ContainerRegistry/registries")
        .filter(|(_, r)| r.name.as_str() == Some("fromParent"))
        .collect();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].1.loc.file, 1);
    assert!(unit.sources.get(1).name.ends_with("child.json"));
    // A missing linked template is a located finding, not a crash; so is a broken one, located
    // in the linked file.
    assert_eq!(unit.findings.len(), 2, "{:?}", unit.findings);
    let missing = unit
        .findings
        .iter()
        .find(|f| f.message.contains("linked/nope.json"))
        .unwrap();
    assert_eq!(text(&unit, missing.loc), "\"linked/nope.json\"");
    let broken = unit
        .findings
        .iter()
        .find(|f| f.message.contains("invalid JSON"))
        .unwrap();
    assert!(
        unit.sources
            .get(broken.loc.file)
            .name
            .ends_with("broken.json")
    );
    assert_eq!(text(&unit, broken.loc), "}");
    assert!(!unit.unparseable);
    // Outputs of a nested deployment resolve through reference(...).outputs.
    let consumer = m
        .of_type("Microsoft.ContainerRegistry/registries")
        .find(|(_, r)| r.name.as_str() == Some("consumer"))
        .unwrap()
        .1;
    let v = consumer.get("properties.vault").unwrap();
    assert!(
        v.value.to_symstr().unwrap().same(&vault.id),
        "{:?}",
        v.value
    );
    assert!(consumer.depends_on.contains(&dep_idx));
    assert!(
        m.depends_on(
            m.resources
                .iter()
                .position(|r| std::ptr::eq(r, consumer))
                .unwrap(),
            vault_idx
        )
    );
}

#[test]
fn language_version_2_symbolic_names_and_existing() {
    let unit = load("lang2.json", &[]);
    let m = &unit.model;
    let (vault_idx, vault) = one(m, "Microsoft.KeyVault/vaults");
    assert!(vault.existing);
    assert_eq!(vault.symbolic_name.as_deref(), Some("vault"));
    assert_eq!(vault.pointer, "/resources/vault");
    let (uai_idx, uai) = one(m, "Microsoft.ManagedIdentity/userAssignedIdentities");
    let (_, reg) = one(m, "Microsoft.ContainerRegistry/registries");
    assert_eq!(reg.depends_on, [uai_idx, vault_idx]);
    // reference('uai') by symbolic name resolves to the identity's id.
    let ident = reg
        .get("properties.encryption.keyVaultProperties.identity")
        .unwrap();
    match ident.value.to_symstr().unwrap().as_single_sym() {
        Some(Sym::ResourceProp { id, .. }) => assert!(id.same(&uai.id)),
        other => panic!("{other:?}"),
    }
    // The key URI is built on the existing vault's runtime vaultUri.
    let key = reg
        .get("properties.encryption.keyVaultProperties.keyIdentifier")
        .unwrap();
    let key = key.value.to_symstr().unwrap();
    assert!(
        matches!(&key.parts[0], acr_cmk::model::Part::Sym(Sym::ResourceProp { id, .. }) if id.same(&vault.id))
    );
    // The existing vault lives where its id parameter says (named unknown parts).
    assert!(
        vault
            .id
            .to_string()
            .contains("split(parameters('keyVaultId'), '/')[4]")
    );
    assert!(matches!(
        reg.get("identity.userAssignedIdentities").unwrap().value,
        Value::Object(_)
    ));
}

#[test]
fn parse_errors_are_located() {
    let unit = arm::load("bad.json", None, "{\n  \"a\": [1, 2\n}", &[]);
    assert!(unit.unparseable);
    assert_eq!(unit.findings.len(), 1);
    let f = &unit.findings[0];
    assert_eq!(f.code, "ARM000");
    assert_eq!(f.loc.start, 15);
    assert!(f.message.contains("expected ',' or ']'"), "{}", f.message);
    // A bad parameter file is located in that file; the template still loads.
    let unit = arm::load(
        "t.json",
        None,
        r#"{"resources": []}"#,
        &[("p.json".into(), "{ \"parameters\": ".into())],
    );
    assert!(!unit.unparseable);
    assert_eq!(unit.findings[0].loc.file, 1);
}

#[test]
fn hostile_input_does_not_crash() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(arm::load("d.json", None, &deep, &[]).unparseable);
    // A copy loop far over the limit gives one representative instance, which is deployed.
    let big = r#"{"resources": [{"type": "A.B/c", "name": "[concat('n', copyIndex())]",
        "copy": {"name": "l", "count": 100000000}}]}"#;
    let unit = arm::load("b.json", None, big, &[]);
    assert_eq!(unit.model.resources.len(), 1);
    assert_eq!(unit.model.resources[0].presence, Presence::Always);
    assert!(unit.model.resources[0].name.value.is_sym());
    // Garbage of every shape.
    for t in [
        "",
        "null",
        "[]",
        "{\"resources\": 5}",
        "{\"resources\": [1, \"x\", {}]}",
        "{\"resources\": [{\"type\": \"[concat(\", \"name\": \"[[x]\"}]}",
        "{\"variables\": {\"a\": \"[variables('b')]\", \"b\": \"[variables('a')]\"}, \"resources\": [{\"type\": \"A/b\", \"name\": \"[variables('a')]\"}]}",
    ] {
        let _ = arm::load("g.json", None, t, &[]);
    }
}

#[test]
fn large_copy_loops_with_dependencies_stay_fast() {
    // 1000 × 1000 dependency edges: must not be quadratic per edge.
    let t = r#"{"resources": [
        {"type": "A.B/c", "name": "[concat('a', copyIndex())]", "copy": {"name": "as", "count": 1000}},
        {"type": "A.B/d", "name": "[concat('b', copyIndex())]", "copy": {"name": "bs", "count": 1000},
         "dependsOn": ["as"]}]}"#;
    let start = std::time::Instant::now();
    let unit = arm::load("big.json", None, t, &[]);
    assert_eq!(unit.model.resources.len(), 2000);
    let last = unit
        .model
        .resources
        .iter()
        .rfind(|r| r.is_type("A.B/d"))
        .unwrap();
    assert_eq!(last.depends_on.len(), 1000);
    // Generous bound for debug builds on a loaded CI machine.
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}

#[test]
fn self_linking_templates_are_bounded() {
    let unit = load("linked/self.json", &[]);
    assert!(unit.sources.len() <= 1 + acr_cmk::arm::load::MAX_LINKED);
    assert!(unit.model.resources.len() < 2000);
}

#[test]
fn doubling_variables_stay_bounded() {
    // Each variable holds two copies of the previous one: 2^40 nodes if nothing stops it.
    let mut vars = vec![r#""v0": "[createArray(1, 2)]""#.to_string()];
    for i in 1..=40 {
        vars.push(format!(
            r#""v{i}": "[createArray(variables('v{p}'), variables('v{p}'))]""#,
            p = i - 1
        ));
    }
    let t = format!(
        r#"{{"variables": {{{}}}, "resources": [{{"type": "A.B/c", "name": "x", "properties": {{"p": "[variables('v40')]"}}}}]}}"#,
        vars.join(",")
    );
    let start = std::time::Instant::now();
    let unit = arm::load("dbl.json", None, &t, &[]);
    // Past the size limit the doubling continues over an unknown, which stays small.
    let p = &unit.model.resources[0].get("properties.p").unwrap().value;
    assert!(!p.is_known());
    assert!(acr_cmk::eval::within_size(p));
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn load_if_template_classifies_in_one_parse() {
    let t = std::fs::read_to_string(fixture("cmk.json")).unwrap();
    let unit = arm::load_if_template("cmk.json", None, &t, &[]).unwrap();
    assert!(!unit.model.resources.is_empty());
    let p = std::fs::read_to_string(fixture("cmk.parameters.json")).unwrap();
    assert_eq!(
        arm::load_if_template("p.json", None, &p, &[]).err(),
        Some(JsonKind::Parameters)
    );
    assert_eq!(
        arm::load_if_template("o.json", None, "{}", &[]).err(),
        Some(JsonKind::Other)
    );
    let bad = arm::load_if_template("b.json", None, "{,", &[]).unwrap();
    assert!(bad.unparseable);
    assert_eq!(bad.findings[0].code, "ARM000");
}

#[test]
fn deeply_nested_expressions_through_variables_do_not_overflow() {
    // 60 variables, each nesting 120 calls around the previous one: 7,200 levels if unbounded.
    let mut vars = vec![r#""v0": "x""#.to_string()];
    for i in 1..60 {
        let e = format!(
            "{}variables('v{}'){}",
            "concat(".repeat(120),
            i - 1,
            ")".repeat(120)
        );
        vars.push(format!(r#""v{i}": "[{e}]""#));
    }
    // …evaluated at the bottom of deeply nested JSON.
    let deep_value = format!(
        "{}\"[variables('v59')]\"{}",
        "[".repeat(240),
        "]".repeat(240)
    );
    let t = format!(
        r#"{{"variables": {{{}}}, "resources": [{{"type": "A.B/c", "name": "[variables('v59')]", "properties": {{"p": {deep_value}}}}}]}}"#,
        vars.join(",")
    );
    let unit = arm::load("deep.json", None, &t, &[]);
    assert!(!unit.unparseable);
    assert!(unit.model.resources[0].name.value.is_sym());
}

#[test]
fn values_deepened_one_variable_at_a_time_stay_bounded() {
    // Each resource forces one more variable, so no single evaluation is deep, but the value
    // grows one level per variable.
    let n = 2000;
    let vars: Vec<String> = (0..n)
        .map(|i| match i {
            0 => r#""v0": 1"#.to_string(),
            _ => format!(r#""v{i}": "[createArray(variables('v{}'))]""#, i - 1),
        })
        .collect();
    let res: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"type": "A.B/c", "name": "r{i}", "properties": {{"p": "[variables('v{i}')]"}}}}"#))
        .collect();
    let t = format!(
        r#"{{"variables": {{{}}}, "resources": [{}]}}"#,
        vars.join(","),
        res.join(",")
    );
    let unit = arm::load("deepvars.json", None, &t, &[]);
    assert_eq!(unit.model.resources.len(), n);
    assert!(acr_cmk::eval::within_size(
        &unit.model.resources[n - 1]
            .get("properties.p")
            .unwrap()
            .value
    ));
}

#[test]
fn truncated_and_corrupted_templates_never_panic() {
    let text = std::fs::read_to_string(fixture("cmk.json")).unwrap();
    for cut in (0..text.len())
        .step_by(5)
        .filter(|c| text.is_char_boundary(*c))
    {
        let unit = arm::load("t.json", None, &text[..cut], &[]);
        assert!(unit.unparseable || cut > 0);
        // The same prefix with each expression-significant character spliced in.
        for c in ["'", "(", "["] {
            let mut m = text.clone();
            m.insert_str(cut, c);
            let _ = arm::load("m.json", None, &m, &[]);
        }
    }
}

#[test]
fn subscription_scope_templates_have_subscription_level_ids() {
    let t = r#"{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
      "resources": [
        {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg1", "location": "westeurope"},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inRg", "resourceGroup": "rg1",
         "dependsOn": ["[resourceId('Microsoft.Resources/resourceGroups', 'rg1')]"],
         "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"}, "template": {
           "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv",
                          "properties": {"self": "[resourceId('Microsoft.KeyVault/vaults', 'kv')]"}}]}}}]}"#;
    let unit = arm::load("sub.json", None, t, &[]);
    let m = &unit.model;
    let (rg_idx, rg) = one(m, "Microsoft.Resources/resourceGroups");
    assert_eq!(
        rg.id.to_string(),
        "/subscriptions/{subscription().subscriptionId}/providers/Microsoft.Resources/resourceGroups/rg1"
    );
    let (_, dep) = one(m, "Microsoft.Resources/deployments");
    assert_eq!(dep.depends_on, [rg_idx]);
    let (_, kv) = one(m, "Microsoft.KeyVault/vaults");
    assert!(kv.id.to_string().contains("/resourceGroups/rg1/providers/"));
    // Inside the resource-group deployment, resourceId() resolves in that resource group.
    assert!(
        kv.get("properties.self")
            .unwrap()
            .value
            .to_symstr()
            .unwrap()
            .same(&kv.id)
    );
}

#[test]
fn reference_by_name_is_an_implicit_dependency() {
    let t = r#"{"resources": [
        {"type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2023-07-01", "name": "acr",
         "properties": {"x": "[reference('uai1').clientId]",
                        "y": "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'uai2')).clientId]"}},
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "uai1"},
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "uai2"}]}"#;
    let unit = arm::load("implicit.json", None, t, &[]);
    let m = &unit.model;
    let (reg, _) = one(m, "Microsoft.ContainerRegistry/registries");
    let uai = |n: &str| {
        m.resources
            .iter()
            .position(|r| r.name.as_str() == Some(n))
            .unwrap()
    };
    // By name: implicit dependency. By resource id: none (ARM semantics).
    assert!(m.depends_on(reg, uai("uai1")));
    assert!(!m.depends_on(reg, uai("uai2")));
}

#[test]
fn nested_output_copy_loops_resolve() {
    let t = r#"{"resources": [
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "mod",
         "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"}, "template": {
           "resources": [],
           "outputs": {"names": {"type": "array", "copy": {"count": 2, "input": "[concat('n', copyIndex())]"}}}}}},
        {"type": "A.B/c", "apiVersion": "1", "name": "user", "dependsOn": ["mod"],
         "properties": {"second": "[reference('mod').outputs.names.value[1]]"}}]}"#;
    let unit = arm::load("outcopy.json", None, t, &[]);
    let (_, user) = one(&unit.model, "A.B/c");
    assert_eq!(
        user.get("properties.second").and_then(|n| n.as_str()),
        Some("n1")
    );
}

#[test]
fn unknown_copy_count_gives_one_conditional_instance() {
    let t = r#"{"parameters": {"n": {"type": "int"}, "zero": {"type": "int", "defaultValue": 0}}, "resources": [
        {"type": "A.B/c", "name": "[concat('x', copyIndex())]", "copy": {"name": "l", "count": "[parameters('n')]"}},
        {"type": "A.B/d", "name": "[concat('y', copyIndex())]", "copy": {"name": "z", "count": "[parameters('zero')]"}}]}"#;
    let unit = arm::load("u.json", None, t, &[]);
    assert_eq!(unit.model.resources.len(), 1, "count 0 deploys nothing");
    let r = &unit.model.resources[0];
    assert_eq!(r.presence, Presence::IfDeployed);
    let name = r.name.value.to_symstr().unwrap();
    assert_eq!(name.lit_prefix(), "x");
    assert!(matches!(
        name.parts[1],
        acr_cmk::model::Part::Sym(Sym::Opaque(_))
    ));
}
