//! The Bicep files parse with the project's Bicep grammar and deploy what the ARM template deploys.

mod build_support;
use build_support::*;

#[test]
fn bicep_files_parse_without_errors_and_match_the_arm_resources() {
    for (stem, text) in examples() {
        let g = build(&stem, &text);
        let mut bicep_res = Vec::new();
        for f in g.files.iter().filter(|f| f.name.ends_with(".bicep")) {
            let errors = bicep_errors(&f.text);
            assert!(
                errors.is_empty(),
                "{stem}/{}: {errors:?}\n{}",
                f.name,
                f.text
            );
            bicep_res.extend(bicep_resources(&f.text));
        }
        bicep_res.sort();
        let t: serde_json::Value =
            serde_json::from_str(g.get("CMKtemplate.json").unwrap()).unwrap();
        assert_eq!(bicep_res, arm_resources(&t), "{stem}");
    }
}

/// Split a .bicepparam file into its `using` line and `(name, value text)` assignments.
fn bicepparam_assignments(text: &str) -> (String, Vec<(String, String)>) {
    let mut using = String::new();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("param ") {
            let (name, value) = rest.split_once(" = ").expect("param NAME = VALUE");
            out.push((name.to_string(), value.to_string()));
        } else if line.starts_with("using ") {
            using = line.to_string();
        } else if let Some(last) = out.last_mut() {
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            assert!(line.trim().is_empty(), "unexpected line {line:?}");
        }
    }
    (using, out)
}

#[test]
fn bicepparam_values_parse_and_name_the_arm_parameters() {
    for (stem, text) in examples() {
        let g = build(&stem, &text);
        let (using, assignments) = bicepparam_assignments(g.get("CMKtemplate.bicepparam").unwrap());
        assert_eq!(using, "using 'CMKtemplate.bicep'");
        assert!(bicep_errors(&using).is_empty());
        for (name, value) in &assignments {
            let errors = bicep_errors(&format!("var {name} = {value}\n"));
            assert!(
                errors.is_empty(),
                "{stem}: param {name} = {value}: {errors:?}"
            );
        }
        let p: serde_json::Value =
            serde_json::from_str(g.get("CMKtemplate.parameters.json").unwrap()).unwrap();
        let arm_names: Vec<&String> = p["parameters"].as_object().unwrap().keys().collect();
        let bicep_names: Vec<&String> = assignments.iter().map(|(n, _)| n).collect();
        assert_eq!(bicep_names, arm_names, "{stem}");
    }
}

#[test]
fn a_broken_bicep_file_is_detected() {
    // The check itself must be able to fail.
    assert!(!bicep_errors("resource x 'a@b' = {\n  name: \n").is_empty());
}
