//! The generated Bicep against every rule of the Bicep linter, without the Bicep CLI.
//!
//! The linter's rules are the 53 files of `src/Bicep.Core/Analyzers/Linter/Rules` in
//! Azure/bicep @9beb0fee (2026-08-21; research memo §8.2–8.4 gives each rule's default level
//! and what it checks). [`RULES`] lists every one of them: either a checker over the files of
//! every example (`.bicep`, `.bicepparam`), or the reason no generated file can break it. A
//! checker approximates its rule for the regular text acr-cmk writes (it is not a Bicep
//! linter), so each checker is also shown to fail on a small file that breaks the rule.
//! Off-by-default rules are checked too where a test can: the output should pass a stricter
//! `bicepconfig.json` as well.

mod build_support;
use build_support::*;
use std::collections::BTreeSet;

/// One generated file, split into top-level declarations.
struct Source {
    name: String,
    text: String,
    decls: Vec<Decl>,
}

/// A top-level declaration (`param`, `var`, `resource`, `module`, `output`, `metadata`, …)
/// with its decorators.
#[derive(Debug)]
struct Decl {
    keyword: String,
    name: String,
    /// The declaration's first line.
    header: String,
    /// Every line of the declaration, its first included.
    lines: Vec<String>,
    decorators: Vec<String>,
}

impl Decl {
    fn body(&self) -> String {
        self.lines.join("\n")
    }
    fn is_existing(&self) -> bool {
        self.keyword == "resource" && self.header.contains("' existing =")
    }
    fn is_secure(&self) -> bool {
        self.decorators.iter().any(|d| d.starts_with("@secure("))
    }
    /// `name string = <default>`: the default's text.
    fn default(&self) -> Option<&str> {
        (self.keyword == "param")
            .then(|| self.header.split_once(" = ").map(|(_, d)| d))
            .flatten()
    }
}

/// A file's code with string contents blanked out (interpolations kept) and comments removed,
/// so that brackets and identifiers can be counted; and the string literals' contents.
fn code_and_strings(text: &str) -> (String, Vec<String>) {
    let mut code = String::new();
    let mut strings = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '\'' => {
                code.push('\'');
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                s.push('\\');
                                s.push(e);
                            }
                        }
                        '\'' => break,
                        '$' if chars.peek() == Some(&'{') => {
                            chars.next();
                            s.push_str("${");
                            code.push(' ');
                            let mut depth = 1;
                            for c in chars.by_ref() {
                                match c {
                                    '{' => depth += 1,
                                    '}' => depth -= 1,
                                    _ => {}
                                }
                                if depth == 0 {
                                    break;
                                }
                                code.push(c);
                                s.push(c);
                            }
                            code.push(' ');
                            s.push('}');
                        }
                        c => s.push(c),
                    }
                }
                code.push('\'');
                strings.push(s);
            }
            c => code.push(c),
        }
    }
    (code, strings)
}

const KEYWORDS: &[&str] = &[
    "param",
    "var",
    "resource",
    "module",
    "output",
    "metadata",
    "import",
    "type",
    "func",
    "assert",
    "extension",
    "provider",
    "targetScope",
    "using",
];

fn parse(name: &str, text: &str) -> Source {
    let mut decls = Vec::new();
    let mut decorators = Vec::new();
    let mut current: Option<Decl> = None;
    let mut depth: i32 = 0;
    for line in text.lines() {
        let (code, _) = code_and_strings(line);
        if let Some(d) = current.as_mut() {
            d.lines.push(line.to_string());
        } else if line.starts_with('@') {
            decorators.push(line.to_string());
            depth += bracket_balance(&code);
            continue;
        } else if let Some(keyword) = KEYWORDS
            .iter()
            .find(|k| line.starts_with(&format!("{k} ")))
            .filter(|_| depth == 0)
        {
            let name = line[keyword.len() + 1..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()
                .to_string();
            current = Some(Decl {
                keyword: keyword.to_string(),
                name,
                header: line.to_string(),
                lines: vec![line.to_string()],
                decorators: std::mem::take(&mut decorators),
            });
        } else if depth > 0 {
            // A multi-line decorator (`@allowed([ … ])`).
            decorators.push(line.to_string());
        }
        depth += bracket_balance(&code);
        if depth == 0
            && let Some(d) = current.take()
        {
            decls.push(d);
        }
    }
    Source {
        name: name.to_string(),
        text: text.to_string(),
        decls,
    }
}

fn bracket_balance(code: &str) -> i32 {
    code.chars()
        .map(|c| match c {
            '{' | '[' | '(' => 1,
            '}' | ']' | ')' => -1,
            _ => 0,
        })
        .sum()
}

/// Identifiers that may refer to a declaration: not after `.`, not an object key (the first
/// token of a line followed by `:`).
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let b = line.as_bytes();
        let mut i = 0;
        let mut first = true;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &line[start..i];
                let after_dot = line[..start].trim_end().ends_with('.');
                let is_key = first && line[i..].trim_start().starts_with(':');
                if !after_dot && !is_key {
                    out.insert(word.to_string());
                }
                first = false;
            } else {
                if !c.is_ascii_whitespace() {
                    first = false;
                }
                i += 1;
            }
        }
    }
    out
}

/// The generated files of one example (or a test snippet).
struct Set {
    files: Vec<Source>,
}

impl Set {
    fn bicep(&self) -> impl Iterator<Item = &Source> {
        self.files.iter().filter(|f| f.name.ends_with(".bicep"))
    }
    fn main(&self) -> Option<&Source> {
        self.files.iter().find(|f| f.name == "CMKtemplate.bicep")
    }
    fn params_file(&self) -> Option<&Source> {
        self.files.iter().find(|f| f.name.ends_with(".bicepparam"))
    }
    fn decls(&self) -> impl Iterator<Item = (&Source, &Decl)> {
        self.bicep()
            .flat_map(|f| f.decls.iter().map(move |d| (f, d)))
    }
}

/// Findings of a checker: "file: what".
type Findings = Vec<String>;

fn each_decl(set: &Set, f: impl Fn(&Source, &Decl) -> Option<String>) -> Findings {
    set.decls().filter_map(|(s, d)| f(s, d)).collect()
}

/// Code (not strings, not comments) that no `.bicep` file may contain.
fn absent(set: &Set, needles: &[&str], why: &str) -> Findings {
    search(set, needles, why, |f| code_and_strings(&f.text).0)
}

/// Text (strings included, comments not) that no `.bicep` file may contain: resource types,
/// module paths.
fn absent_text(set: &Set, needles: &[&str], why: &str) -> Findings {
    search(set, needles, why, |f| {
        f.text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn search(set: &Set, needles: &[&str], why: &str, text: impl Fn(&Source) -> String) -> Findings {
    let mut out = Vec::new();
    for f in set.bicep() {
        let t = format!("\n{}", text(f));
        for n in needles {
            if t.contains(n) {
                out.push(format!("{}: {n}: {why}", f.name));
            }
        }
    }
    out
}

fn count_at_most(set: &Set, keyword: &str, max: usize) -> Findings {
    set.bicep()
        .filter_map(|f| {
            let n = f.decls.iter().filter(|d| d.keyword == keyword).count();
            (n > max).then(|| format!("{}: {n} {keyword} declarations (at most {max})", f.name))
        })
        .collect()
}

/// Declarations of `keyword` that no other declaration of the file refers to.
fn unused(set: &Set, keyword: &str, only: impl Fn(&Decl) -> bool) -> Findings {
    let mut out = Vec::new();
    for f in set.bicep() {
        for d in f.decls.iter().filter(|d| d.keyword == keyword && only(d)) {
            let used = f.decls.iter().any(|other| {
                !std::ptr::eq(other, d)
                    && references(&code_and_strings(&other.body()).0).contains(&d.name)
            });
            if !used {
                out.push(format!("{}: {keyword} {} is never used", f.name, d.name));
            }
        }
    }
    out
}

/// `dependsOn` entries already implied by a reference of the declaration's body (directly or
/// through what it references).
fn unnecessary_depends_on(set: &Set) -> Findings {
    let mut out = Vec::new();
    for f in set.bicep() {
        let refs_of = |d: &Decl, skip_depends: bool| {
            let mut body = String::new();
            let mut in_depends = false;
            for line in &d.lines[1..] {
                if skip_depends && line.trim_start().starts_with("dependsOn:") {
                    in_depends = !line.trim_end().ends_with(']');
                    continue;
                }
                if in_depends {
                    in_depends = line.trim() != "]";
                    continue;
                }
                body.push_str(line);
                body.push('\n');
            }
            references(&code_and_strings(&body).0)
        };
        for d in &f.decls {
            let Some(start) = d
                .lines
                .iter()
                .position(|l| l.trim_start().starts_with("dependsOn:"))
            else {
                continue;
            };
            let mut block = Vec::new();
            for l in &d.lines[start..] {
                block.push(l.as_str());
                if l.trim_end().ends_with(']') {
                    break;
                }
            }
            let listed = references(&code_and_strings(&block.join("\n")).0);
            // Everything the body reaches, through the declarations it references.
            let mut reached: BTreeSet<String> = refs_of(d, true);
            let mut todo: Vec<String> = reached.iter().cloned().collect();
            while let Some(n) = todo.pop() {
                if let Some(other) = f.decls.iter().find(|o| o.name == n && o.keyword != "param") {
                    for r in refs_of(other, false) {
                        if reached.insert(r.clone()) {
                            todo.push(r);
                        }
                    }
                }
            }
            for s in listed {
                if reached.contains(&s) {
                    out.push(format!(
                        "{}: {} depends on {s}, which it already references",
                        f.name, d.name
                    ));
                }
            }
        }
    }
    out
}

fn is_identifier(k: &str) -> bool {
    let mut c = k.chars();
    c.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(k, "true" | "false" | "null")
}

/// Quoted object keys (`'environment': …`) and `x['key']` accesses that need no quotes.
fn quoted_property_names(set: &Set) -> Findings {
    let mut out = Vec::new();
    for f in set.files.iter() {
        for line in f.text.lines() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix('\'')
                && let Some((key, after)) = rest.split_once('\'')
                && after.trim_start().starts_with(':')
                && is_identifier(key)
            {
                out.push(format!("{}: '{key}' need not be quoted", f.name));
            }
            for (i, _) in line.match_indices("['") {
                if let Some((key, _)) = line[i + 2..].split_once("']")
                    && is_identifier(key)
                {
                    out.push(format!("{}: ['{key}'] should be .{key}", f.name));
                }
            }
        }
    }
    out
}

/// The Bicep linter's default `disallowedhosts` (src/Bicep.Core/Configuration/bicepconfig.json).
const DISALLOWED_HOSTS: &[&str] = &[
    "azuredatalakeanalytics.net",
    "azuredatalakestore.net",
    "batch.core.windows.net",
    "core.windows.net",
    "database.windows.net",
    "datalake.azure.net",
    "gallery.azure.com",
    "graph.windows.net",
    "login.microsoftonline.com",
    "management.azure.com",
    "management.core.windows.net",
    "vault.azure.net",
];

/// Environment URLs in strings, except in `@description`/`@metadata` decorators and
/// `metadata` declarations (which the rule skips); not run on `.bicepparam` files.
fn hardcoded_env_urls(set: &Set) -> Findings {
    let mut out = Vec::new();
    for f in set.bicep() {
        for d in f.decls.iter().filter(|d| d.keyword != "metadata") {
            let (_, strings) = code_and_strings(&d.body());
            for s in strings {
                let s = s.to_ascii_lowercase();
                for h in DISALLOWED_HOSTS {
                    if s.contains(h) && !s.contains("schema.management.azure.com") {
                        out.push(format!("{}: {} has '{s}' ({h})", f.name, d.name));
                    }
                }
            }
        }
    }
    out
}

/// Property values, variables and outputs that are a single interpolation (`'${x}'`).
fn simplifiable_interpolations(set: &Set) -> Findings {
    let mut out = Vec::new();
    for f in set.bicep() {
        for line in f.text.lines() {
            let value = line
                .split_once(": ")
                .map(|(_, v)| v)
                .or_else(|| line.split_once(" = ").map(|(_, v)| v));
            if let Some(v) = value {
                let v = v.trim();
                if v.starts_with("'${") && v.ends_with("}'") && v.matches("${").count() == 1 {
                    out.push(format!("{}: {v} can be written without the string", f.name));
                }
            }
        }
    }
    out
}

/// `location:` of a resource written as a literal (other than `'global'`).
fn hardcoded_locations(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        if d.keyword != "resource" {
            return None;
        }
        d.lines.iter().find_map(|l| {
            let v = l.strip_prefix("  location: ")?;
            (v.starts_with('\'') && v != "'global'")
                .then(|| format!("{}: {} has location {v}", s.name, d.name))
        })
    })
}

fn location_expressions_outside_params(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        let body = code_and_strings(&d.body()).0;
        let uses =
            body.contains("resourceGroup().location") || body.contains("deployment().location");
        (uses && d.keyword != "param")
            .then(|| format!("{}: {} uses a location expression", s.name, d.name))
    })
}

/// Outputs whose value is a constant.
fn hardcoded_outputs(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        if d.keyword != "output" {
            return None;
        }
        let v = d.header.split_once(" = ")?.1.trim();
        let constant = v.starts_with('\'') && !v.contains("${")
            || v.parse::<i64>().is_ok()
            || matches!(v, "true" | "false" | "null");
        constant.then(|| format!("{}: output {} is the constant {v}", s.name, d.name))
    })
}

fn secrets_in_outputs(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        if d.keyword != "output" {
            return None;
        }
        let lower = d.body().to_ascii_lowercase();
        let secret = ["password", "secret", "listkeys(", ".list", "list("]
            .iter()
            .any(|w| lower.contains(w));
        secret.then(|| format!("{}: output {} may expose a secret", s.name, d.name))
    })
}

fn secure_defaults(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        let def = d.default()?;
        let allowed = def == "''" || def == "{}" || def.contains("newGuid()");
        (d.is_secure() && !allowed)
            .then(|| format!("{}: @secure param {} has a default", s.name, d.name))
    })
}

/// Parameters named like secrets must be `@secure()`.
fn insecure_secret_params(set: &Set) -> Findings {
    let secretish = |n: &str| {
        let n = n.to_ascii_lowercase();
        let allowed = [
            "secretpermissions",
            "secretversion",
            "secreturi",
            "secreturl",
            "secretname",
        ];
        ["password", "pwd", "secret", "accountkey", "acctkey"]
            .iter()
            .any(|w| n.contains(w))
            && !allowed.iter().any(|a| n.contains(a))
    };
    each_decl(set, |s, d| {
        (d.keyword == "param" && secretish(&d.name) && !d.is_secure()).then(|| {
            format!(
                "{}: param {} looks like a secret but is not @secure()",
                s.name, d.name
            )
        })
    })
}

/// A `.bicepparam` file assigns no value to a secure parameter of its template.
fn secure_params_in_parameters_file(set: &Set) -> Findings {
    let (Some(main), Some(params)) = (set.main(), set.params_file()) else {
        return Vec::new();
    };
    params
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("param "))
        .filter_map(|l| l.split_once(" = ").map(|(n, _)| n.trim()))
        .filter(|n| {
            main.decls
                .iter()
                .any(|d| d.keyword == "param" && d.name == *n && d.is_secure())
        })
        .map(|n| format!("{}: assigns the secure parameter {n}", params.name))
        .collect()
}

fn missing_descriptions(set: &Set, keyword: &str) -> Findings {
    each_decl(set, |s, d| {
        (d.keyword == keyword && !d.decorators.iter().any(|x| x.starts_with("@description(")))
            .then(|| format!("{}: {keyword} {} has no @description", s.name, d.name))
    })
}

/// Child resources named `'<parent>/<child>'` instead of using `parent:`.
fn child_names_with_slashes(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        if d.keyword != "resource" {
            return None;
        }
        d.lines.iter().find_map(|l| {
            let v = l.strip_prefix("  name: ")?;
            (v.starts_with('\'') && v.contains('/'))
                .then(|| format!("{}: {} is named {v}: use parent", s.name, d.name))
        })
    })
}

/// `Type@version` of every resource is the newest stable version in the official schemas'
/// index (`../shared/arm-schemas/resource-index.json`).
fn recent_api_versions(set: &Set) -> Findings {
    static INDEX: std::sync::OnceLock<Option<serde_json::Value>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        shared("arm-schemas/resource-index.json")
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
    });
    let Some(index) = index else {
        return Vec::new();
    };
    each_decl(set, |s, d| {
        if d.keyword != "resource" {
            return None;
        }
        let (_, strings) = code_and_strings(&d.header);
        let (ty, api) = strings.first()?.split_once('@')?;
        // Stable versions are bare dates; previews carry a suffix.
        let newest = index["types"][ty]
            .as_object()?
            .keys()
            .filter(|v| v.len() == 10)
            .max()?
            .clone();
        (api != newest).then(|| format!("{}: {ty}@{api}, newest stable {newest}", s.name))
    })
}

/// Resource properties named `…Id` must be built from a resource or a resource-id function.
fn id_properties_without_functions(set: &Set) -> Findings {
    const EXCLUDED: &[&str] = &[
        "principalId",
        "tenantId",
        "clientId",
        "objectId",
        "subscriptionId",
        "keyVaultId",
        "appId",
        "keyId",
    ];
    each_decl(set, |s, d| {
        if d.keyword != "resource" {
            return None;
        }
        d.lines.iter().find_map(|l| {
            let (key, value) = l.trim_start().split_once(": ")?;
            let checked = key.ends_with("Id") && !EXCLUDED.contains(&key);
            let built = value.contains('(') || value.contains(".id");
            (checked && !built).then(|| format!("{}: {key} is {value}", s.name))
        })
    })
}

/// Module parameters that name resources get no runtime (`.properties.`) values.
fn runtime_values_for_module_names(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        if d.keyword != "module" {
            return None;
        }
        d.lines.iter().find_map(|l| {
            let (key, value) = l.trim_start().split_once(": ")?;
            let names = matches!(key, "vault_name" | "grantee_id");
            (names && (value.contains(".properties.") || value.contains("reference(")))
                .then(|| format!("{}: module {} passes {key}: {value}", s.name, d.name))
        })
    })
}

/// Parameters of a module file have no defaults: every value is passed by the caller.
fn module_params_with_defaults(set: &Set) -> Findings {
    set.bicep()
        .filter(|f| f.name != "CMKtemplate.bicep")
        .flat_map(|f| {
            f.decls
                .iter()
                .filter(|d| d.default().is_some())
                .map(move |d| format!("{}: module parameter {} has a default", f.name, d.name))
        })
        .collect()
}

fn decompiler_names(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        let bad = (d.keyword == "resource" && d.name.ends_with("_resource"))
            || (d.keyword == "var" && d.name.ends_with("_var"));
        bad.then(|| format!("{}: {} {} looks decompiled", s.name, d.keyword, d.name))
    })
}

fn object_or_array_params(set: &Set) -> Findings {
    each_decl(set, |s, d| {
        let typed = d.header.contains(" object") || d.header.contains(" array");
        (d.keyword == "param" && typed)
            .then(|| format!("{}: param {} is untyped object/array", s.name, d.name))
    })
}

enum Check {
    /// A checker, and a file that breaks the rule (its checker must report it).
    Test(fn(&Set) -> Findings, &'static str),
    /// Why no generated file can break the rule.
    NotApplicable(&'static str),
}

struct Rule {
    code: &'static str,
    /// The rule's default level (research memo §8.2).
    default: &'static str,
    check: Check,
}

macro_rules! rule {
    ($code:literal, $default:literal, n/a $why:literal) => {
        Rule {
            code: $code,
            default: $default,
            check: Check::NotApplicable($why),
        }
    };
    ($code:literal, $default:literal, $check:expr, $bad:expr) => {
        Rule {
            code: $code,
            default: $default,
            check: Check::Test($check, $bad),
        }
    };
}

const RULES: &[Rule] = &[
    rule!(
        "adminusername-should-not-be-literal",
        "warning",
        |s| absent(
            s,
            &["adminUsername:"],
            "an admin user name is not something this template sets"
        ),
        "resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {\n  name: 'vm'\n  properties: {\n    osProfile: {\n      adminUsername: 'admin'\n    }\n  }\n}\n"
    ),
    rule!(
        "artifacts-parameters",
        "warning",
        |s| absent(s, &["_artifactsLocation"], "artifact parameters"),
        "param _artifactsLocation string\n"
    ),
    rule!(
        "decompiler-cleanup",
        "warning",
        decompiler_names,
        "resource vault_resource 'Microsoft.KeyVault/vaults@2026-02-01' existing = {\n  name: 'kv'\n}\n"
    ),
    rule!(
        "explicit-values-for-loc-params",
        "off",
        module_params_with_defaults,
        "param location string = resourceGroup().location\n"
    ),
    rule!(
        "max-asserts",
        "error",
        |s| count_at_most(s, "assert", 32),
        ""
    ),
    rule!(
        "max-outputs",
        "error",
        |s| count_at_most(s, "output", 64),
        ""
    ),
    rule!(
        "max-params",
        "error",
        |s| count_at_most(s, "param", 256),
        ""
    ),
    rule!(
        "max-resources",
        "error",
        |s| count_at_most(s, "resource", 800),
        ""
    ),
    rule!(
        "max-variables",
        "error",
        |s| count_at_most(s, "var", 512),
        ""
    ),
    rule!(
        "nested-deployment-template-scoping",
        "error",
        |s| absent_text(
            s,
            &["'Microsoft.Resources/deployments@"],
            "a nested deployment resource (the generator uses modules)"
        ),
        "resource d 'Microsoft.Resources/deployments@2025-04-01' = {\n  name: 'd'\n}\n"
    ),
    rule!(
        "no-conflicting-metadata",
        "warning",
        |s| absent(
            s,
            &["@metadata("],
            "@metadata (the generator uses @description)"
        ),
        "@metadata({ description: 'x' })\n@description('y')\nparam p string\n"
    ),
    rule!(
        "no-deployments-resources",
        "warning",
        |s| absent_text(
            s,
            &["'Microsoft.Resources/deployments@"],
            "a nested deployment resource (use a module)"
        ),
        "resource d 'Microsoft.Resources/deployments@2025-04-01' = {\n  name: 'd'\n}\n"
    ),
    rule!(
        "no-explicit-any",
        "warning",
        |s| absent(s, &["any(", " any\n"], "the any type"),
        "var x = any(1)\n"
    ),
    rule!(
        "no-hardcoded-env-urls",
        "warning",
        hardcoded_env_urls,
        "param kek_id string = 'https://kv.vault.azure.net/keys/k'\n"
    ),
    rule!(
        "no-hardcoded-location",
        "off",
        hardcoded_locations,
        "resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {\n  name: 'id'\n  location: 'westeurope'\n}\n"
    ),
    rule!(
        "no-hardcoded-outputs",
        "off",
        hardcoded_outputs,
        "output o string = 'x'\n"
    ),
    rule!(
        "no-loc-expr-outside-params",
        "off",
        location_expressions_outside_params,
        "var where = resourceGroup().location\n"
    ),
    rule!("no-module-name", "off", n/a "off by default; the modules keep their names (cmk-grant-<registry>, cmk-system-grant-<registry>): they are the nested deployments the ARM template deploys under the same names, which deploy scripts and the CMK rules rely on"),
    rule!(
        "no-unnecessary-dependson",
        "warning",
        unnecessary_depends_on,
        "param n string\nresource a 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {\n  name: n\n}\nresource b 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {\n  name: '${a.name}2'\n  dependsOn: [\n    a\n  ]\n}\n"
    ),
    rule!(
        "no-unused-existing-resources",
        "warning",
        |s| unused(s, "resource", Decl::is_existing),
        "resource kv 'Microsoft.KeyVault/vaults@2026-02-01' existing = {\n  name: 'kv'\n}\n"
    ),
    rule!(
        "no-unused-imports",
        "warning",
        |s| absent(s, &["\nimport "], "imports"),
        "param p string\nimport { x } from 'y.bicep'\n"
    ),
    rule!(
        "no-unused-params",
        "warning",
        |s| unused(s, "param", |_| true),
        "param p string\n"
    ),
    rule!(
        "no-unused-types",
        "warning",
        |s| unused(s, "type", |_| true),
        "type t = string\n"
    ),
    rule!(
        "no-unused-vars",
        "warning",
        |s| unused(s, "var", |_| true),
        "var v = 1\n"
    ),
    rule!(
        "outputs-should-not-contain-secrets",
        "warning",
        secrets_in_outputs,
        "output password string = 'x${1}'\n"
    ),
    rule!(
        "prefer-interpolation",
        "warning",
        |s| absent(s, &["concat("], "concat (use interpolation)"),
        "var x = concat('a', 'b')\n"
    ),
    rule!(
        "prefer-unquoted-property-names",
        "warning",
        quoted_property_names,
        "var tags = {\n  'environment': 'production'\n}\n"
    ),
    rule!(
        "protect-commandtoexecute-secrets",
        "warning",
        |s| absent(s, &["commandToExecute"], "VM extension commands"),
        "var settings = {\n  commandToExecute: 'x'\n}\n"
    ),
    rule!(
        "secure-parameter-default",
        "warning",
        secure_defaults,
        "@secure()\nparam pwd string = 'hunter2'\n"
    ),
    rule!(
        "secure-params-in-nested-deploy",
        "warning",
        |s| absent_text(
            s,
            &["'Microsoft.Resources/deployments@"],
            "a nested deployment resource (secure parameters would pass through it)"
        ),
        "resource d 'Microsoft.Resources/deployments@2025-04-01' = {\n  name: 'd'\n}\n"
    ),
    rule!(
        "secure-params-in-parameters-file",
        "warning",
        secure_params_in_parameters_file,
        ""
    ),
    rule!(
        "secure-secrets-in-params",
        "warning",
        insecure_secret_params,
        "param adminPassword string\n"
    ),
    rule!(
        "simplify-interpolation",
        "warning",
        simplifiable_interpolations,
        "param p string\nvar x = '${p}'\n"
    ),
    rule!(
        "simplify-json-null",
        "warning",
        |s| absent_text(s, &["json('null')"], "json('null') (use null)"),
        "var x = json('null')\n"
    ),
    rule!(
        "stacks-extensibility-compat",
        "info",
        |s| absent(s, &["\nextension ", "\nprovider "], "extensibility"),
        "param p string\nextension microsoftGraphV1\n"
    ),
    rule!(
        "use-description-outputs",
        "off",
        |s| missing_descriptions(s, "output"),
        "output o string = resourceGroup().id\n"
    ),
    rule!(
        "use-description-params",
        "off",
        |s| missing_descriptions(s, "param"),
        "param p string\n"
    ),
    rule!(
        "use-description-type-properties",
        "off",
        |s| absent(s, &["\ntype "], "user-defined types"),
        "param p string\ntype t = {\n  a: string\n}\n"
    ),
    rule!(
        "use-description-types",
        "off",
        |s| missing_descriptions(s, "type"),
        "type t = string\n"
    ),
    rule!(
        "use-description-vars",
        "off",
        |s| missing_descriptions(s, "var"),
        "var v = 1\n"
    ),
    rule!(
        "use-parent-property",
        "warning",
        child_names_with_slashes,
        "resource key 'Microsoft.KeyVault/vaults/keys@2026-02-01' = {\n  name: 'kv/key'\n}\n"
    ),
    rule!(
        "use-recent-api-versions",
        "off",
        recent_api_versions,
        "resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: 'id'\n}\n"
    ),
    rule!(
        "use-recent-az-powershell-version",
        "warning",
        |s| absent_text(
            s,
            &["Microsoft.Resources/deploymentScripts"],
            "deployment scripts"
        ),
        "resource ds 'Microsoft.Resources/deploymentScripts@2023-08-01' = {\n  name: 'ds'\n}\n"
    ),
    rule!(
        "use-recent-module-versions",
        "off",
        |s| absent_text(s, &["'br:", "'br/"], "registry modules"),
        "module m 'br/public:avm/res/key-vault/vault:0.1.0' = {\n  name: 'm'\n}\n"
    ),
    rule!(
        "use-recognized-resource-type",
        "warning",
        |s| absent(
            s,
            &["reference(", "listKeys(", "list("],
            "reference()/list*() (the generator uses symbols)"
        ),
        "var x = reference('a', '2020-01-01')\n"
    ),
    rule!(
        "use-resource-id-functions",
        "off",
        id_properties_without_functions,
        "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: 'x'\n  properties: {\n    roleDefinitionId: 'e147488a'\n  }\n}\n"
    ),
    rule!(
        "use-resource-symbol-reference",
        "warning",
        |s| absent(
            s,
            &["reference(", "listKeys(", "list("],
            "reference()/list*() of a resource in the file"
        ),
        "var x = reference(resourceId('Microsoft.KeyVault/vaults', 'kv'))\n"
    ),
    rule!(
        "use-safe-access",
        "warning",
        |s| absent(s, &["contains("], "contains() (use .? and ??)"),
        "param o object\nvar x = contains(o, 'a') ? o.a : 1\n"
    ),
    rule!("use-secure-value-for-secure-inputs", "warning", n/a "no property the generator writes has a secure type in its resource type (registries, identities, vaults, keys, access policies, role assignments, locks, and the module's parameters are plain strings), and the templates declare no secure value"),
    rule!(
        "use-stable-resource-identifiers",
        "warning",
        |s| absent(
            s,
            &["newGuid(", "utcNow("],
            "non-deterministic values (names come from guid() of stable inputs)"
        ),
        "param g string = newGuid()\n"
    ),
    rule!(
        "use-stable-vm-image",
        "warning",
        |s| absent(s, &["imageReference"], "VM images"),
        "var i = {\n  imageReference: {}\n}\n"
    ),
    rule!(
        "use-user-defined-types",
        "off",
        object_or_array_params,
        "param o object\n"
    ),
    rule!(
        "what-if-short-circuiting",
        "off",
        runtime_values_for_module_names,
        "module m 'x.bicep' = {\n  name: 'm'\n  params: {\n    vault_name: id.properties.clientId\n  }\n}\n"
    ),
];

fn generated_sets() -> Vec<(String, Set)> {
    examples()
        .into_iter()
        .map(|(stem, text)| {
            let g = build(&stem, &text);
            let files = g
                .files
                .iter()
                .filter(|f| f.name.ends_with(".bicep") || f.name.ends_with(".bicepparam"))
                .map(|f| parse(f.name, &f.text))
                .collect();
            (stem, Set { files })
        })
        .collect()
}

#[test]
fn every_rule_of_the_bicep_linter_is_listed_once() {
    assert_eq!(RULES.len(), 53, "the Bicep linter has 53 rules");
    let codes: BTreeSet<&str> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(codes.len(), RULES.len(), "a rule is listed twice");
    let on = RULES.iter().filter(|r| r.default != "off").count();
    assert_eq!(on, 38, "38 rules are on by default (research memo §8.2)");
}

#[test]
fn generated_bicep_passes_every_checkable_rule() {
    let sets = generated_sets();
    assert!(sets.len() >= 6);
    let mut failures = Vec::new();
    for (stem, set) in &sets {
        for r in RULES {
            if let Check::Test(check, _) = r.check {
                for f in check(set) {
                    failures.push(format!("{stem}: {} ({}): {f}", r.code, r.default));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_checker_fails_on_a_file_that_breaks_its_rule() {
    for r in RULES {
        let Check::Test(check, bad) = r.check else {
            continue;
        };
        let one = |name: &str, text: &str| Set {
            files: vec![parse(name, text)],
        };
        let set = match r.code {
            // One declaration over the limit.
            "max-asserts" | "max-outputs" | "max-params" | "max-resources" | "max-variables" => {
                let (max, decl): (usize, fn(usize) -> String) = match r.code {
                    "max-asserts" => (32, |i| format!("assert a{i} = true\n")),
                    "max-outputs" => (64, |i| format!("output o{i} string = resourceGroup().id\n")),
                    "max-params" => (256, |i| format!("param p{i} string\n")),
                    "max-resources" => (800, |i| {
                        format!(
                            "resource r{i} 'Microsoft.KeyVault/vaults@2026-02-01' existing = {{\n  name: 'kv{i}'\n}}\n"
                        )
                    }),
                    _ => (512, |i| format!("var v{i} = {i}\n")),
                };
                one(
                    "CMKtemplate.bicep",
                    &(0..=max).map(decl).collect::<String>(),
                )
            }
            // A rule about module files.
            "explicit-values-for-loc-params" => one("CMKtemplate.key-access.bicep", bad),
            "secure-params-in-parameters-file" => Set {
                files: vec![
                    parse("CMKtemplate.bicep", "@secure()\nparam pwd string\n"),
                    parse(
                        "CMKtemplate.bicepparam",
                        "using 'CMKtemplate.bicep'\n\nparam pwd = 'x'\n",
                    ),
                ],
            },
            _ => one("CMKtemplate.bicep", bad),
        };
        assert!(
            !check(&set).is_empty(),
            "{}: the checker passed a file that breaks it",
            r.code
        );
    }
}

#[test]
fn not_applicable_rules_say_why() {
    for r in RULES {
        if let Check::NotApplicable(why) = r.check {
            assert!(why.len() > 40, "{}: give the reason", r.code);
        }
    }
}

#[test]
fn the_declaration_splitter_sees_what_the_checkers_need() {
    let s = parse(
        "t.bicep",
        "@description('x')\n@allowed([\n  'a'\n  'b'\n])\nparam p string = 'a'\n\nvar v = {\n  k: '${p}' // c\n}\n\nresource r 'T@1' existing = {\n  name: v.k\n}\n",
    );
    let shown: Vec<(&str, &str)> = s
        .decls
        .iter()
        .map(|d| (d.keyword.as_str(), d.name.as_str()))
        .collect();
    assert_eq!(shown, [("param", "p"), ("var", "v"), ("resource", "r")]);
    assert_eq!(s.decls[0].decorators.len(), 5);
    assert_eq!(s.decls[0].default(), Some("'a'"));
    assert!(s.decls[2].is_existing());
    assert!(references(&code_and_strings(&s.decls[1].body()).0).contains("p"));
    assert!(!references("  name: v.k\n").contains("name"));
    assert!(!references("  name: v.k\n").contains("k"));
}
