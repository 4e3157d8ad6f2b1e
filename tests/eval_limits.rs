//! Evaluation is bounded by counted work, not by luck (the evaluator's classes of issue 8).
//!
//! Each hostile shape is generated small here (the sizes the issue measured are in the
//! hostile-input benchmark): the test asserts the work the unit counted ([`Unit::work`]), that
//! a limit cut short is recorded with its place ([`Unit::limits_hit`]), and that what was cut
//! short is unknown — never a known (let alone clean) value. No wall-clock time is asserted.

use acr_cmk::eval::limits::{self, Limit};
use acr_cmk::model::{Sym, Value};
use acr_cmk::unit::Unit;
use acr_cmk::{arm, bicep};

const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";

fn bicep_unit(text: &str) -> Unit {
    let unit = bicep::load("main.bicep", None, text, &[]);
    assert!(!unit.unparseable, "{:?}", unit.findings);
    unit
}

fn arm_unit(text: &str) -> Unit {
    let unit = arm::load("main.json", None, text, &[]);
    assert!(!unit.unparseable, "{:?}", unit.findings);
    unit
}

/// An ARM template with these variables (and functions) whose registry is named `name`.
fn template(variables: &str, functions: &str, name: &str) -> String {
    format!(
        r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {{"p": {{"type": "string"}}}},
  "functions": [{functions}],
  "variables": {{{variables}}},
  "resources": [{{"type": "{REGISTRY}", "apiVersion": "2023-07-01", "name": "{name}",
    "location": "westeurope", "sku": {{"name": "Premium"}}}}]}}"#
    )
}

fn registry_bicep(name: &str) -> String {
    format!(
        "resource acr '{REGISTRY}@2023-07-01' = {{\n  name: {name}\n  location: 'westeurope'\n  \
         sku: {{ name: 'Premium' }}\n}}\n"
    )
}

/// The registry's name: unknown (a limit never gives a known value).
fn unknown_name(unit: &Unit) -> &Value {
    let r = unit
        .model
        .resources
        .iter()
        .find(|r| r.is_type(REGISTRY))
        .expect("the registry is modelled");
    assert!(!r.name.value.is_known(), "{:?}", r.name.value);
    &r.name.value
}

fn hit(unit: &Unit, limit: Limit) -> bool {
    unit.limits_hit.iter().any(|h| h.limit == limit)
}

/// Class 4: every step of `'${v}-${v}'` doubles the parts of a partly unknown string; 40 steps
/// would be 2^40 parts. The parts are capped, the rest is unknown, the cap is recorded.
#[test]
fn doubling_strings_over_unknowns_are_capped() {
    let n = 40;
    let mut bicep = String::from("param p string\nvar v0 = p\n");
    let mut concat = vec![r#""v0": "[parameters('p')]""#.to_string()];
    let mut format = concat.clone();
    for i in 1..=n {
        bicep.push_str(&format!("var v{i} = '${{v{p}}}-${{v{p}}}'\n", p = i - 1));
        concat.push(format!(
            r#""v{i}": "[concat(variables('v{p}'), '-', variables('v{p}'))]""#,
            p = i - 1
        ));
        format.push(format!(
            r#""v{i}": "[format('{{0}}-{{1}}', variables('v{p}'), variables('v{p}'))]""#,
            p = i - 1
        ));
    }
    bicep.push_str(&registry_bicep(&format!("v{n}")));
    let name = format!("[variables('v{n}')]");
    let units = [
        bicep_unit(&bicep),
        arm_unit(&template(&concat.join(","), "", &name)),
        arm_unit(&template(&format.join(","), "", &name)),
    ];
    for unit in &units {
        let Value::Sym(s) = unknown_name(unit) else {
            panic!("a string")
        };
        // The known beginning survives; the rest past the cap is an unknown without identity.
        assert!(s.parts.len() <= limits::MAX_STRING_PARTS);
        assert!(matches!(
            s.parts.first(),
            Some(acr_cmk::model::Part::Sym(Sym::Param(_)))
        ));
        assert!(matches!(
            s.parts.last(),
            Some(acr_cmk::model::Part::Sym(Sym::Opaque(_)))
        ));
        assert!(hit(unit, Limit::StringSize), "{:?}", unit.limits_hit);
        // Linear work: a few steps per variable.
        assert!(unit.work.steps < 50 * n as u64, "{:?}", unit.work);
    }
}

/// Class 4, `reduce`: an accumulator that doubles every step — an array until it is too
/// large, a string over an unknown after that.
#[test]
fn reduce_over_a_growing_accumulator_is_capped() {
    let vars = r#""r": "[reduce(range(0, 100), createArray(1), lambda('acc', 'x', concat(lambdaVariables('acc'), lambdaVariables('acc'))))]",
        "s": "[reduce(range(0, 100), parameters('p'), lambda('acc', 'x', concat(lambdaVariables('acc'), '-', lambdaVariables('acc'))))]""#;
    let unit = arm_unit(&template(
        vars,
        "",
        "[concat(string(length(variables('r'))), variables('s'))]",
    ));
    unknown_name(&unit);
    assert!(hit(&unit, Limit::ValueSize), "{:?}", unit.limits_hit);
    assert!(hit(&unit, Limit::StringSize), "{:?}", unit.limits_hit);
    assert!(unit.work.values < 200_000, "{:?}", unit.work);
}

/// Class 6: `map(range(0, 10000), x => range(0, 10000))` would build 10^8 values; it stops at
/// the size of one value, after building about that many.
#[test]
fn values_built_are_counted_not_evaluations() {
    let bicep = format!(
        "var big = map(range(0, 10000), x => range(0, 10000))\n{}",
        registry_bicep("'acr${length(big)}'")
    );
    let arm = template(
        r#""big": "[map(range(0, 10000), lambda('x', range(0, 10000)))]""#,
        "",
        "[concat('acr', length(variables('big')))]",
    );
    for unit in [bicep_unit(&bicep), arm_unit(&arm)] {
        unknown_name(&unit);
        assert!(hit(&unit, Limit::ValueSize), "{:?}", unit.limits_hit);
        let bound = 2 * limits::MAX_VALUE_NODES as u64;
        assert!(unit.work.values < bound, "{:?}", unit.work);
    }
}

/// Class 6, across a file: many values each under the size of one value still exhaust the
/// unit's budget of values built, and everything after is unknown.
#[test]
fn the_budget_of_values_built_is_per_unit() {
    let n = limits::MAX_VALUES as usize / 9_000 + 10;
    let vars: Vec<String> = (0..n)
        .map(|i| format!(r#""v{i}": "[length(range({i}, 9000))]""#))
        .collect();
    let sum: Vec<String> = (0..n).map(|i| format!("variables('v{i}')")).collect();
    let name = format!("[string(createArray({}))]", sum.join(", "));
    let unit = arm_unit(&template(&vars.join(","), "", &name));
    unknown_name(&unit);
    assert!(hit(&unit, Limit::Values), "{:?}", unit.limits_hit);
    assert!(
        unit.work.values <= limits::MAX_VALUES + 10_000,
        "{:?}",
        unit.work
    );
}

/// Class 8: a chain of 17 imported files, each using the next one's variable four times, is
/// evaluated once per file (4^16 evaluations before), and gives the right value.
#[test]
fn imported_variables_are_evaluated_once_per_unit() {
    let dir = tempfile::tempdir().unwrap();
    let files = 17;
    for k in 1..files {
        let body = if k == files - 1 {
            "@export()\nvar v = 1\n".to_string()
        } else {
            format!(
                "import {{v as w}} from 'f{}.bicep'\n@export()\nvar v = w + w + w + w\n",
                k + 1
            )
        };
        std::fs::write(dir.path().join(format!("f{k}.bicep")), body).unwrap();
    }
    let main = format!(
        "import {{v as w}} from 'f1.bicep'\nvar v = w + w + w + w\n{}",
        registry_bicep("'acr${v}'")
    );
    let path = dir.path().join("main.bicep");
    let unit = bicep::load("main.bicep", Some(&path), &main, &[]);
    assert!(!unit.unparseable, "{:?}", unit.findings);
    let r = unit
        .model
        .resources
        .iter()
        .find(|r| r.is_type(REGISTRY))
        .unwrap();
    assert_eq!(
        r.name.as_str(),
        Some(format!("acr{}", 4u64.pow(16)).as_str())
    );
    assert!(unit.limits_hit.is_empty(), "{:?}", unit.limits_hit);
    assert!(unit.work.steps < 2_000, "{:?}", unit.work);
}

/// Class 10: a function that calls itself twice would make 2^depth calls; calls are counted.
#[test]
fn recursive_functions_are_stopped_by_the_call_count() {
    let bicep = format!(
        "func f() string => '${{f()}}${{f()}}'\n{}",
        registry_bicep("f()")
    );
    let arm = template(
        "",
        r#"{"namespace": "ns", "members": {"f": {"parameters": [],
            "output": {"type": "string", "value": "[concat(ns.f(), ns.f())]"}}}}"#,
        "[ns.f()]",
    );
    for unit in [bicep_unit(&bicep), arm_unit(&arm)] {
        unknown_name(&unit);
        assert!(hit(&unit, Limit::Calls), "{:?}", unit.limits_hit);
        assert!(unit.work.calls <= limits::MAX_CALLS, "{:?}", unit.work);
        // What happens after the last call allowed is bounded by the call depth.
        assert!(unit.work.steps < 10 * limits::MAX_CALLS, "{:?}", unit.work);
    }
}

/// Class 12: a resource body nested thousands of levels deep is walked once (the dependency
/// scan used to ask tree-sitter for each identifier's parent, a walk from the root each time);
/// evaluation stops at the nesting limit, which is recorded where it was hit.
#[test]
fn deeply_nested_resource_bodies_are_walked_once() {
    let depth = 5_000;
    let body = format!("{}'x'{}", "{\n a: ".repeat(depth), "\n}".repeat(depth));
    let text = format!(
        "resource acr '{REGISTRY}@2023-07-01' = {{\n  name: 'acr1'\n  location: 'westeurope'\n  \
         sku: {{ name: 'Premium' }}\n  tags: {body}\n}}\n"
    );
    let unit = bicep_unit(&text);
    assert_eq!(unit.model.resources.len(), 1);
    let nesting = unit
        .limits_hit
        .iter()
        .find(|h| h.limit == Limit::Nesting)
        .expect("the nesting limit is recorded");
    assert!(text[nesting.loc.range()].starts_with('{'));
    // A few steps per level that is evaluated, not per level of the whole body.
    assert!(
        unit.work.steps < 10 * limits::MAX_EXPR_DEPTH as u64,
        "{:?}",
        unit.work
    );
}

/// An ARM expression nested past the limit is unknown and recorded, in the parser as in the
/// evaluator (through variables).
#[test]
fn deeply_nested_arm_expressions_are_recorded() {
    let deep = format!(
        "[{}parameters('p'){}]",
        "concat(".repeat(limits::MAX_EXPR_DEPTH + 5),
        ")".repeat(limits::MAX_EXPR_DEPTH + 5)
    );
    let unit = arm_unit(&template("", "", &deep));
    unknown_name(&unit);
    let h = unit
        .limits_hit
        .iter()
        .find(|h| h.limit == Limit::Nesting)
        .expect("recorded");
    assert_eq!(h.loc.file, 0);
}

/// Nested deployments past the limit are not followed, in ARM (inline templates) and in Bicep
/// (modules, which compile to nested deployments) alike, and the cut is recorded.
#[test]
fn deployment_nesting_stops_at_the_same_level_in_both_formats() {
    let levels = limits::MAX_DEPLOYMENT_NESTING + 3;
    let mut inner = r#"{"resources": []}"#.to_string();
    for i in (0..levels).rev() {
        inner = format!(
            r#"{{"resources": [{{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
              "name": "d{i}", "properties": {{"mode": "Incremental",
              "expressionEvaluationOptions": {{"scope": "inner"}}, "template": {inner}}}}}]}}"#
        );
    }
    let arm = arm_unit(&inner);
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=levels {
        let body = if i == levels {
            String::new()
        } else {
            format!("module m 'm{}.bicep' = {{\n  name: 'd{i}'\n}}\n", i + 1)
        };
        std::fs::write(dir.path().join(format!("m{i}.bicep")), body).unwrap();
    }
    let main = "module m 'm1.bicep' = {\n  name: 'd0'\n}\n";
    let path = dir.path().join("main.bicep");
    let bicep = bicep::load("main.bicep", Some(&path), main, &[]);
    let deployments = |u: &Unit| {
        u.model
            .resources
            .iter()
            .filter(|r| r.is_type("Microsoft.Resources/deployments"))
            .count()
    };
    assert_eq!(deployments(&arm), limits::MAX_DEPLOYMENT_NESTING + 1);
    assert_eq!(deployments(&bicep), deployments(&arm));
    for unit in [&arm, &bicep] {
        assert!(hit(unit, Limit::Nesting), "{:?}", unit.limits_hit);
    }
}

/// The values of a limit, as the README's "Limits" table must state them.
fn documented_values(limit: Limit) -> Vec<u64> {
    use limits::*;
    let values = match limit {
        Limit::FileSize => vec![MAX_FILE_BYTES, MAX_SPEC_BYTES],
        Limit::Nesting => [
            MAX_JSON_DEPTH,
            MAX_EXPR_DEPTH,
            MAX_DEPLOYMENT_NESTING,
            MAX_IMPORT_CHAIN,
        ]
        .map(|v| v as u64)
        .to_vec(),
        Limit::Values => vec![MAX_VALUES],
        Limit::ValueSize => [MAX_ITEMS, MAX_VALUE_NODES, MAX_VALUE_DEPTH]
            .map(|v| v as u64)
            .to_vec(),
        Limit::CallDepth => vec![MAX_CALL_DEPTH as u64],
        Limit::Calls => vec![MAX_CALLS],
        Limit::Resources => vec![MAX_RESOURCES as u64],
        Limit::StringSize => vec![MAX_STRING as u64, MAX_STRING_PARTS as u64],
        Limit::Work => vec![MAX_WORK],
    };
    let mut values = values;
    values.sort();
    values
}

/// The README's "Limits" table states the policy's own numbers, one row per limit, so the
/// documentation cannot drift from `src/eval/limits.rs`.
#[test]
fn the_readme_limits_table_states_the_policy() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md exists");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Limits\n"))
        .expect("README has a `## Limits` section");
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), Limit::ALL.len(), "{rows:#?}");
    for limit in Limit::ALL {
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("| `{}` |", limit.name())))
            .unwrap_or_else(|| panic!("no README row for limit `{limit}`"));
        let mut numbers: Vec<u64> = row
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        numbers.sort();
        assert_eq!(numbers, documented_values(limit), "README row: {row}");
    }
}
