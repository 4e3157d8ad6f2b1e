//! The ARM expression evaluator: each function family, unknown propagation, symbol equality.

use acr_cmk::arm::eval::{Env, Frame, ParamSlot};
use acr_cmk::arm::json;
use acr_cmk::model::{Node, Scope, Sym, SymStr, Value};
use acr_cmk::source::Loc;

const TEMPLATE: &str = r#"{
  "parameters": {
    "name": { "type": "string", "defaultValue": "acr1" },
    "sku": { "type": "string", "defaultValue": "[if(equals(parameters('name'), 'acr1'), 'Premium', 'Basic')]" },
    "vault": { "type": "string" },
    "cmk": { "type": "object" },
    "tags": { "type": "object", "defaultValue": { "env": "dev" } }
  },
  "variables": {
    "prefix": "[concat(parameters('name'), '-')]",
    "self": "[variables('self')]",
    "copy": [ { "name": "disks", "count": 3, "input": "[concat('d', copyIndex('disks'))]" } ],
    "ids": "[createArray('a', 'b')]"
  },
  "functions": [ { "namespace": "my", "members": { "greet": {
    "parameters": [ { "name": "who", "type": "string" } ],
    "output": { "type": "string", "value": "[format('hi {0}', parameters('who'))]" } } } } ]
}"#;

fn with_frame(f: impl FnOnce(&Frame)) {
    let j = json::parse(TEMPLATE).unwrap();
    let mut frame = Frame::new(0, Scope::resource_group_deployment());
    frame.declare(&j);
    f(&frame);
}

fn ev(frame: &Frame, text: &str) -> Node {
    frame.string(&Env::default(), text, Loc::default())
}

fn s(frame: &Frame, text: &str) -> String {
    match ev(frame, text).value {
        Value::Str(s) => s,
        other => panic!("{text} gave {other:?}"),
    }
}

fn sym(frame: &Frame, text: &str) -> SymStr {
    match ev(frame, text).value {
        Value::Sym(s) => s,
        other => panic!("{text} gave known {other:?}"),
    }
}

#[test]
fn literals_and_escapes() {
    with_frame(|f| {
        assert_eq!(s(f, "plain"), "plain");
        assert_eq!(s(f, "[[not an expression]"), "[not an expression]");
        assert_eq!(s(f, "['it''s']"), "it's");
        assert_eq!(ev(f, "[add(1, 2)]").as_i64(), Some(3));
        assert_eq!(ev(f, "[true()]").as_bool(), Some(true));
    });
}

#[test]
fn parameters_and_variables() {
    with_frame(|f| {
        assert_eq!(s(f, "[parameters('name')]"), "acr1");
        // A default value that refers to another parameter.
        assert_eq!(s(f, "[parameters('sku')]"), "Premium");
        assert_eq!(s(f, "[variables('prefix')]"), "acr1-");
        assert_eq!(s(f, "[parameters('tags').env]"), "dev");
        // Variable copy loops.
        assert_eq!(s(f, "[variables('disks')[2]]"), "d2");
        // A variable that refers to itself is unknown, not a stack overflow.
        assert!(matches!(
            sym(f, "[variables('self')]").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
        // A parameter without value is a named unknown.
        assert!(matches!(
            sym(f, "[parameters('vault')]").as_single_sym(),
            Some(Sym::Param(p)) if p == "vault"
        ));
    });
}

#[test]
fn given_parameter_keeps_its_own_location() {
    let j = json::parse(TEMPLATE).unwrap();
    let mut frame = Frame::new(0, Scope::resource_group_deployment());
    frame.declare(&j);
    let at = Loc::new(1, 10, 20);
    frame.params.insert(
        "vault".into(),
        ParamSlot::Given(Node::new(Value::Str("kv".into()), at)),
    );
    let n = frame.string(&Env::default(), "[parameters('vault')]", Loc::new(0, 0, 5));
    assert_eq!(n.as_str(), Some("kv"));
    assert_eq!(n.loc, at);
}

#[test]
fn string_functions() {
    with_frame(|f| {
        assert_eq!(s(f, "[concat('a', 1, 'b')]"), "a1b");
        assert_eq!(s(f, "[format('{0}-{1}', 'x', 2)]"), "x-2");
        assert_eq!(s(f, "[format('{{0}}{0}', 'y')]"), "{0}y");
        assert_eq!(s(f, "[toLower('AbC')]"), "abc");
        assert_eq!(s(f, "[toUpper('abc')]"), "ABC");
        assert_eq!(s(f, "[substring('abcdef', 1, 3)]"), "bcd");
        assert_eq!(s(f, "[replace('a-b-c', '-', '')]"), "abc");
        assert_eq!(s(f, "[split('a/b/c', '/')[1]]"), "b");
        assert_eq!(s(f, "[last(split('a/b/c', '/'))]"), "c");
        assert_eq!(s(f, "[first('xyz')]"), "x");
        assert_eq!(s(f, "[trim('  t ')]"), "t");
        assert_eq!(s(f, "[padLeft('7', 3, '0')]"), "007");
        assert_eq!(s(f, "[string(createObject('a', 1))]"), "{\"a\":1}");
        assert_eq!(s(f, "[base64('hi')]"), "aGk=");
        assert_eq!(s(f, "[uriComponent('a b')]"), "a%20b");
        assert_eq!(s(f, "[uri('https://x/y/', 'z')]"), "https://x/y/z");
        assert_eq!(s(f, "[take('abcd', 2)]"), "ab");
        assert_eq!(s(f, "[skip('abcd', 2)]"), "cd");
        assert_eq!(ev(f, "[startsWith('abc', 'AB')]").as_bool(), Some(true));
        assert_eq!(ev(f, "[endsWith('abc', 'bc')]").as_bool(), Some(true));
        assert_eq!(ev(f, "[indexOf('abc', 'c')]").as_i64(), Some(2));
        assert_eq!(ev(f, "[lastIndexOf('abcabc', 'a')]").as_i64(), Some(3));
        // Non-ASCII text whose lower case has another byte length must not break offsets.
        assert_eq!(ev(f, "[indexOf('İİx', 'x')]").as_i64(), Some(2));
        assert_eq!(ev(f, "[length('abc')]").as_i64(), Some(3));
        assert!(ev(f, "[substring('abc', 2, 5)]").value.is_sym());
    });
}

#[test]
fn logic_and_comparison() {
    with_frame(|f| {
        assert_eq!(s(f, "[if(equals(1, 1), 'y', 'n')]"), "y");
        assert_eq!(ev(f, "[not(empty(''))]").as_bool(), Some(false));
        assert_eq!(
            ev(f, "[and(true(), or(false(), true()))]").as_bool(),
            Some(true)
        );
        assert_eq!(ev(f, "[greater(2, 1)]").as_bool(), Some(true));
        assert_eq!(ev(f, "[lessOrEquals(2, 2)]").as_bool(), Some(true));
        assert_eq!(
            ev(f, "[contains(createArray('a', 'b'), 'b')]").as_bool(),
            Some(true)
        );
        assert_eq!(
            ev(f, "[contains('Premium', 'prem')]").as_bool(),
            Some(false)
        );
        assert_eq!(s(f, "[coalesce(null(), 'x')]"), "x");
        // `and` short-circuits on a known false even next to an unknown.
        assert_eq!(
            ev(f, "[and(parameters('vault'), false())]").as_bool(),
            Some(false)
        );
        // An unknown condition makes the result unknown: neither branch is chosen.
        assert!(
            ev(f, "[if(equals(parameters('vault'), 'x'), 'a', 'b')]")
                .value
                .is_sym()
        );
        // The same unknown equals itself.
        assert_eq!(
            ev(f, "[equals(parameters('vault'), parameters('VAULT'))]").as_bool(),
            Some(true)
        );
        // A literal part decides emptiness.
        assert_eq!(
            ev(f, "[empty(concat('x', parameters('vault')))]").as_bool(),
            Some(false)
        );
        assert!(ev(f, "[empty(parameters('vault'))]").value.is_sym());
    });
}

#[test]
fn arrays_objects_and_numbers() {
    with_frame(|f| {
        assert_eq!(
            ev(f, "[length(union(createArray(1, 2), createArray(2, 3)))]").as_i64(),
            Some(3)
        );
        assert_eq!(
            ev(
                f,
                "[length(intersection(createArray(1, 2), createArray(2, 3)))]"
            )
            .as_i64(),
            Some(1)
        );
        assert_eq!(
            s(
                f,
                "[union(createObject('a', 'x'), createObject('b', 'y')).b]"
            ),
            "y"
        );
        assert_eq!(ev(f, "[json('{\"k\": [1, 2]}').k[1]]").as_i64(), Some(2));
        assert_eq!(ev(f, "[length(range(5, 3))]").as_i64(), Some(3));
        assert_eq!(ev(f, "[range(5, 3)[2]]").as_i64(), Some(7));
        assert_eq!(ev(f, "[max(1, 5, 3)]").as_i64(), Some(5));
        assert_eq!(ev(f, "[min(createArray(4, 2))]").as_i64(), Some(2));
        assert_eq!(
            ev(f, "[mul(sub(10, 4), div(9, mod(7, 4)))]").as_i64(),
            Some(18)
        );
        assert_eq!(ev(f, "[int('42')]").as_i64(), Some(42));
        assert_eq!(ev(f, "[bool('true')]").as_bool(), Some(true));
        assert_eq!(ev(f, "[length(array('x'))]").as_i64(), Some(1));
        assert_eq!(s(f, "[items(createObject('b', 1, 'a', 2))[0].key]"), "a");
        assert_eq!(s(f, "[tryGet(createObject('a', 'x'), 'a')]"), "x");
        assert!(ev(f, "[tryGet(createObject('a', 'x'), 'b')]").is_null());
        assert_eq!(s(f, "[createObject('a', createArray('x'))['a'][0]]"), "x");
        // Hostile sizes stay bounded.
        assert!(ev(f, "[range(0, 1000000000)]").value.is_sym());
        assert!(ev(f, "[padLeft('x', 1000000000)]").value.is_sym());
        assert!(ev(f, "[div(1, 0)]").value.is_sym());
    });
}

#[test]
fn lambdas_and_user_functions() {
    with_frame(|f| {
        assert_eq!(
            s(
                f,
                "[map(variables('ids'), lambda('i', toUpper(lambdaVariables('i'))))[1]]"
            ),
            "B"
        );
        assert_eq!(
            ev(
                f,
                "[length(filter(variables('ids'), lambda('i', equals(lambdaVariables('i'), 'a'))))]"
            )
            .as_i64(),
            Some(1)
        );
        assert_eq!(
            ev(f, "[reduce(createArray(1, 2, 3), 0, lambda('c', 'n', add(lambdaVariables('c'), lambdaVariables('n'))))]")
                .as_i64(),
            Some(6)
        );
        assert_eq!(s(f, "[my.greet('bob')]"), "hi bob");
    });
}

#[test]
fn resource_ids_are_canonical() {
    with_frame(|f| {
        let a = sym(
            f,
            "[resourceId('Microsoft.KeyVault/vaults/keys', parameters('vault'), 'k')]",
        );
        let b = sym(
            f,
            "[resourceId('microsoft.keyvault/vaults/keys', parameters('vault'), 'K')]",
        );
        assert!(a.same(&b));
        assert_eq!(
            a.to_string(),
            "/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}/providers/Microsoft.KeyVault/vaults/{parameters('vault')}/keys/k"
        );
        // Explicit resource group.
        let c = sym(
            f,
            "[resourceId('other-rg', 'Microsoft.KeyVault/vaults', 'kv')]",
        );
        assert!(c.to_string().contains("/resourceGroups/other-rg/"));
        // Names with a slash are split into segments.
        let d = sym(
            f,
            "[resourceId('Microsoft.KeyVault/vaults/keys', concat(parameters('vault'), '/k'))]",
        );
        assert!(a.same(&d));
        let sub = sym(
            f,
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]",
        );
        assert_eq!(
            sub.to_string(),
            "/subscriptions/{subscription().subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/abc"
        );
        assert_eq!(
            s(
                f,
                "[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')]"
            ),
            "/providers/Microsoft.Authorization/policyDefinitions/p"
        );
        let ext = sym(
            f,
            "[extensionResourceId(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'Microsoft.Authorization/roleAssignments', 'ra')]",
        );
        assert!(
            ext.to_string()
                .ends_with("/vaults/kv/providers/Microsoft.Authorization/roleAssignments/ra")
        );
        let rg = sym(f, "[resourceGroup().id]");
        assert_eq!(
            rg.to_string(),
            "/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}"
        );
    });
}

#[test]
fn runtime_and_deterministic_unknowns() {
    with_frame(|f| {
        // reference(): non-Full properties live under `properties`.
        let r = sym(
            f,
            "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id1'), '2023-01-31').clientId]",
        );
        match r.as_single_sym() {
            Some(Sym::ResourceProp { id, path }) => {
                assert!(id.to_string().ends_with("/userAssignedIdentities/id1"));
                assert_eq!(path, &["properties", "clientId"]);
            }
            other => panic!("{other:?}"),
        }
        let full = sym(
            f,
            "[reference(resourceId('Microsoft.ContainerRegistry/registries', 'r'), '2023-01-01', 'Full').identity.principalId]",
        );
        match full.as_single_sym() {
            Some(Sym::ResourceProp { path, .. }) => assert_eq!(path, &["identity", "principalId"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            sym(f, "[subscription().subscriptionId]").as_single_sym(),
            Some(Sym::Expr(e)) if e == "subscription().subscriptionId"
        ));
        assert!(matches!(
            sym(f, "[subscription().tenantId]").as_single_sym(),
            Some(Sym::Expr(e)) if e == "subscription().tenantId"
        ));
        assert!(matches!(
            sym(f, "[resourceGroup().location]").as_single_sym(),
            Some(Sym::Expr(e)) if e == "resourceGroup().location"
        ));
        // Equal deterministic expressions compare equal, whatever their spelling.
        let g1 = sym(f, "[guid(resourceGroup().id, parameters('vault'))]");
        let g2 = sym(f, "[GUID(resourceGroup().id, parameters('Vault'))]");
        assert!(g1.same(&g2));
        let g3 = sym(f, "[guid(resourceGroup().id, 'other')]");
        assert!(!g1.same(&g3));
        let u1 = sym(f, "[uniqueString(resourceGroup().id)]");
        assert!(u1.same(&sym(f, "[uniqueString(resourceGroup().id)]")));
        // Properties of a parameter without value are canonical expressions.
        assert!(
            sym(f, "[parameters('cmk').keyName]")
                .same(&sym(f, "[tryGet(parameters('cmk'), 'keyName')]"))
        );
        // Non-deterministic values have no identity.
        let now = sym(f, "[utcNow()]");
        assert!(!now.same(&now.clone()));
        assert!(matches!(
            sym(f, "[listKeys('x', '2020-01-01').keys]").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
        // Mixed concatenation keeps literal and symbolic parts.
        let mixed = sym(
            f,
            "[concat('https://', parameters('vault'), '.vault.azure.net/keys/k')]",
        );
        assert_eq!(mixed.parts.len(), 3);
        assert_eq!(mixed.lit_prefix(), "https://");
        // Opaque inputs make opaque outputs.
        assert!(matches!(
            sym(f, "[guid(utcNow())]").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
        assert!(matches!(
            sym(f, "[nosuchfunction(1)]").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
        assert!(matches!(
            sym(f, "[concat('a']").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
    });
}

#[test]
fn copy_index_in_loops() {
    with_frame(|f| {
        let env = Env::default().with_loop("vms", Some(2), true);
        let n = f.string(&env, "[concat('vm', copyIndex(1))]", Loc::default());
        assert_eq!(n.as_str(), Some("vm3"));
        let n = f.string(&env, "[copyIndex('vms')]", Loc::default());
        assert_eq!(n.as_i64(), Some(2));
        let unknown = Env::default().with_loop("vms", None, true);
        assert!(
            f.string(&unknown, "[copyIndex()]", Loc::default())
                .value
                .is_sym()
        );
    });
}

#[test]
fn unknown_conditions_and_coalesce_keep_identity() {
    with_frame(|f| {
        let a = sym(
            f,
            "[if(empty(parameters('vault')), 'x', parameters('vault'))]",
        );
        let b = sym(
            f,
            "[if(empty(parameters('vault')), 'x', parameters('vault'))]",
        );
        assert!(matches!(a.as_single_sym(), Some(Sym::Expr(_))));
        assert!(a.same(&b));
        let c = sym(f, "[coalesce(null(), parameters('cmk').name, 'dflt')]");
        assert!(c.same(&sym(
            f,
            "[coalesce(tryGet(parameters('cmk'), 'name'), 'dflt')]"
        )));
        assert!(!c.same(&sym(f, "[coalesce(parameters('cmk').name, 'other')]")));
        // An opaque branch leaves no identity.
        assert!(matches!(
            sym(f, "[if(empty(parameters('vault')), utcNow(), 'x')]").as_single_sym(),
            Some(Sym::Opaque(_))
        ));
    });
}

#[test]
fn shallow_merge_and_objects() {
    with_frame(|f| {
        assert_eq!(
            s(
                f,
                "[shallowMerge(createArray(createObject('a', 'x'), createObject('a', 'y'))).a]"
            ),
            "y"
        );
        // An unknown item could override anything.
        assert!(
            ev(
                f,
                "[shallowMerge(createArray(createObject('a', 'x'), parameters('cmk')))]"
            )
            .value
            .is_sym()
        );
        assert_eq!(
            ev(f, "[length(objectKeys(createObject('a', 1, 'b', 2)))]").as_i64(),
            Some(2)
        );
        assert_eq!(
            ev(
                f,
                "[length(flatten(createArray(createArray(1), createArray(2, 3))))]"
            )
            .as_i64(),
            Some(3)
        );
        assert_eq!(s(f, "[join(createArray('a', 'b'), ',')]"), "a,b");
    });
}
