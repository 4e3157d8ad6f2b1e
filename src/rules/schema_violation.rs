use crate::finding::{Finding, PropPath};
use crate::model::{Node, Value};
use crate::rules::{Ctx, Rule, RuleMeta};
use crate::schema::resources::{Checked, Coverage, Kind, Violation};
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Validates the body of every resource in scope against the official ARM schema of its
    /// type **at its own `apiVersion`** (registries, user-assigned identities, vaults, keys,
    /// access policies, role assignments, deployments; derived from the official schemas into
    /// `schemas/arm-schemas.derived.json`). It catches misspelt properties (`encryptionn`,
    /// `keyIdentifer`), properties the API version does not have (`softDeletePolicy` before the
    /// preview versions that added it, `storageAccount` after the old ones), values of the
    /// wrong JSON type, unknown enum values (compared without case, as Resource Manager does),
    /// tenant ids that are not GUIDs, out-of-range retention days and missing required
    /// properties. Read-only properties are left to CMK015; a boolean or number written as a
    /// string that Resource Manager converts is SCH004, a warning.
    ///
    /// Values the tool cannot evaluate are never reported. A version without a schema of its
    /// own in the derived set is checked against the nearest versions before and after it,
    /// and only what both reject is reported; a version older or newer than all of them is not
    /// checked (SCH003 says whether it exists at all).
    ///
    /// Scope: by default only the resources of a registry's CMK wiring (the registry with
    /// encryption enabled or unknown, the identities it uses, its key, the key's vault, the
    /// grants, and the deployments that carry them); with `cmk-required` every registry too;
    /// with `check-resources = "all"` in `acr-cmk.toml` every resource. `existing` references
    /// are not validated (nothing of them is deployed).
    ///
    /// ## Why is this bad?
    /// Resource Manager silently ignores some unknown properties: a misspelt `encryption` block
    /// deploys a registry without its customer-managed key, which cannot be added afterwards.
    /// Others fail the deployment halfway.
    ///
    /// ## Example
    /// ```json
    /// "properties": { "encryptionn": { "status": "enabled" } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: { keyIdentifer: kekId } } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "encryption": { "status": "enabled" } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: { keyIdentifier: kekId } } }
    /// ```
    ///
    /// ## References
    /// - The template reference per type and API version: <https://learn.microsoft.com/azure/templates/>
    /// - The official schemas the set is derived from: <https://github.com/Azure/azure-resource-manager-schemas>
    ///   (commit in `schemas/arm-schemas.derived.json`; corrections with their reasons in
    ///   `scripts/derive-resource-schemas/overrides.json`)
    pub struct SchemaViolation {
        code: "SCH001",
        name: "schema-violation",
        level: Error,
        summary: "A resource does not match the official schema of its type and API version",
    }
}

impl Rule for SchemaViolation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        report(ctx, &Self::META, |k| k != Kind::Converted, out);
    }
}

/// The findings of one kind of schema violation (SCH001 or SCH004) on every resource in scope.
pub(super) fn report(
    ctx: &Ctx,
    meta: &'static RuleMeta,
    keep: impl Fn(Kind) -> bool,
    out: &mut Vec<Finding>,
) {
    for (i, r) in ctx.model.resources.iter().enumerate() {
        let Some(checked) = ctx.schema_check(i) else {
            continue;
        };
        for v in checked.violations.iter().filter(|v| keep(v.kind)) {
            let path = v.path.iter().fold(PropPath::root(), |p, s| p.key(s));
            let mut f = Finding::on(meta, i, path, v.message.clone());
            // An unexpected property points at its name.
            if v.kind == Kind::Unknown
                && let Some(key) = key_loc(&r.body, &v.path)
            {
                f = f.at(key);
            }
            out.push(f.help(help(&r.ty, checked, v)));
        }
    }
}

/// Where the key of the property at `path` is written.
fn key_loc(body: &Node, path: &[String]) -> Option<Loc> {
    let (last, parents) = path.split_last()?;
    let mut cur = body;
    for seg in parents {
        cur = match &cur.value {
            Value::Object(o) => o.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    cur.as_object()?.get_entry(last).map(|(k, _)| k.loc)
}

/// The reference page of a type at an API version on Microsoft Learn.
fn reference(ty: &str, version: &str) -> String {
    let (ns, rest) = ty.split_once('/').unwrap_or((ty, ""));
    format!(
        "https://learn.microsoft.com/azure/templates/{}/{version}/{}",
        ns.to_ascii_lowercase(),
        rest.to_ascii_lowercase()
    )
}

fn help(ty: &str, checked: &Checked, v: &Violation) -> String {
    let elsewhere = if v.kind == Kind::Unknown {
        in_other_versions(ty, &v.path)
    } else {
        None
    };
    let what = match (v.kind, &elsewhere) {
        (Kind::Converted, _) => "write the value with its JSON type",
        (Kind::Unknown, Some(_)) => "use an API version that has the property, or remove it",
        (Kind::Unknown, None) => "remove or rename the property",
        _ => "fix the value",
    };
    let what = match elsewhere {
        Some(versions) => format!("{versions}; {what}"),
        None => what.to_string(),
    };
    match &checked.coverage {
        Coverage::Exact(version) => {
            format!("{what}; see {}", reference(ty, version))
        }
        Coverage::Between(older, newer) => format!(
            "{what}; no schema of this API version is published, and both {older} and {newer} reject it (see {})",
            reference(ty, newer)
        ),
    }
}

/// "API versions 2016-06-27-preview, … have it": the versions of the type whose schema knows a
/// property that the resource's own version does not (a property removed or added between
/// versions), the newest three named.
fn in_other_versions(ty: &str, path: &[String]) -> Option<String> {
    let versions = crate::schema::resources::versions_having(ty, path);
    let newest: Vec<&str> = versions.iter().rev().take(3).rev().copied().collect();
    match versions.len() {
        0 => None,
        1 => Some(format!("only API version {} has it", newest[0])),
        n if n <= 3 => Some(format!("API versions {} have it", newest.join(", "))),
        n => Some(format!(
            "{n} API versions have it, the newest {}",
            newest.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ResourceScope;
    use crate::rules::testing::*;

    #[test]
    fn good_model_is_valid() {
        let f = check(&SchemaViolation, &model(good()));
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }

    #[test]
    fn misspelling_points_at_the_key() {
        let m = model(edit(good(), "acr", |r| {
            let enc = r["properties"]["encryption"]["keyVaultProperties"]
                .as_object_mut()
                .unwrap();
            let v = enc.remove("keyIdentifier").unwrap();
            enc.insert("keyIdentifer".into(), v);
        }));
        let f = check(&SchemaViolation, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyIdentifer"]
        );
        assert!(
            f[0].message.contains("did you mean 'keyIdentifier'"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_property_of_another_api_version_names_the_versions_that_have_it() {
        // softDeletePolicy exists in the preview API versions only.
        let soft_delete = |api: &str| {
            model(edit(good(), "acr", |r| {
                r["apiVersion"] = api.into();
                r["properties"]["policies"] =
                    serde_json::json!({"softDeletePolicy": {"status": "enabled"}});
            }))
        };
        let f = check(&SchemaViolation, &soft_delete("2025-11-01"));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/policies/softDeletePolicy"]
        );
        let help = f[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("API versions have it, the newest"), "{help}");
        assert!(help.contains("-preview"), "{help}");
        assert!(
            help.contains("use an API version that has the property"),
            "{help}"
        );
        // At a version that has it, the same body is valid.
        assert!(check(&SchemaViolation, &soft_delete("2025-06-01-preview")).is_empty());
        // A misspelling no version knows keeps the plain advice.
        let f = check(
            &SchemaViolation,
            &model(edit(good(), "acr", |r| {
                r["properties"]["encryptionn"] = serde_json::json!({});
            })),
        );
        let help = f[0].help.as_deref().unwrap_or_default();
        assert!(help.starts_with("remove or rename the property"), "{help}");
    }

    #[test]
    fn deployments_are_checked_in_their_arm_shape() {
        // Both front ends give a deployment (and a Bicep module) its compiled ARM body, so a
        // Bicep-shaped body (`params`, no `properties`) is a real schema violation.
        let list = with(
            good(),
            serde_json::json!([{"sym": "mod", "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01", "name": "grant", "params": {"vault": "kvcmk01"}}]),
        );
        assert!(!check_in(&SchemaViolation, &model(list), ResourceScope::All).is_empty());
        let list = with(
            good(),
            serde_json::json!([{"sym": "dep", "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01", "name": "grant",
                "properties": {"mode": "Incremental", "templatelink": {"uri": "x"}, "paramters": {}}}]),
        );
        let m = model(list);
        // A deployment that carries nothing of the CMK wiring is out of the default scope.
        assert!(check(&SchemaViolation, &m).is_empty());
        assert_eq!(
            pointers(&check_in(&SchemaViolation, &m, ResourceScope::All)),
            ["/resources/4/properties/paramters"]
        );
    }

    #[test]
    fn a_wrong_type_is_reported_a_converted_string_and_a_symbol_are_not() {
        let m = model(edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = "yes".into()
        }));
        let f = check(&SchemaViolation, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/1/properties/enablePurgeProtection"]
        );
        assert_eq!(f[0].message, "expected a boolean, found the string \"yes\"");
        for value in ["true", "${param:p}"] {
            let m = model(edit(good(), "kv", |r| {
                r["properties"]["enablePurgeProtection"] = value.into()
            }));
            assert!(check(&SchemaViolation, &m).is_empty(), "{value}");
        }
    }

    #[test]
    fn only_the_cmk_wiring_is_checked_by_default() {
        let list = with(
            good(),
            serde_json::json!([{"sym": "kv2", "type": "Microsoft.KeyVault/vaults",
                "apiVersion": "2023-07-01", "name": "other", "properties": {"sku": {}}}]),
        );
        let m = model(list);
        assert!(check(&SchemaViolation, &m).is_empty());
        assert_eq!(
            pointers(&check_in(&SchemaViolation, &m, ResourceScope::All)),
            [
                "/resources/4/properties/sku",
                "/resources/4/properties/sku",
                "/resources/4/properties"
            ]
        );
    }

    #[test]
    fn a_registry_without_cmk_is_checked_when_cmk_is_required() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["status"] = "disabled".into();
            r["properties"]["adminUserEnabledd"] = false.into();
        }));
        assert!(check(&SchemaViolation, &m).is_empty());
        let every_registry = ResourceScope::CmkWiring {
            every_registry: true,
        };
        assert_eq!(
            pointers(&check_in(&SchemaViolation, &m, every_registry)),
            ["/resources/3/properties/adminUserEnabledd"]
        );
    }
}
