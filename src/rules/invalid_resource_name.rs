use crate::azure;
use crate::azure::types::{ACCESS_POLICIES, IDENTITY, KEY, REGISTRY, VAULT};
use crate::finding::Finding;
use crate::model::{Model, Part, Resource, SymStr};
use crate::query::identities::used_identity;
use crate::query::registries::{cmk_registries, with_access};
use crate::query::{Prop, lookup, name_segments};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks the names of the resources of a CMK deployment against Azure's naming rules:
    /// registry 5–50 letters and digits; key vault 3–24 letters, digits and hyphens, starting
    /// with a letter, ending with a letter or digit, no `--`; user-assigned identity 3–128
    /// letters, digits, `-` and `_`, starting with a letter or digit; key 1–127 letters, digits
    /// and hyphens; a vault access-policy resource is named `<vault>/add`, `/replace` or
    /// `/remove`. Resources the template only references (`existing`) are checked too when
    /// their name is written out: no resource has a name Azure rejects. So are the ids the CMK wiring writes out: the id of
    /// an existing identity the registry uses must be a user-assigned identity's resource id,
    /// and the deployment that grants the identity key access in the vault's scope must name a
    /// valid resource group and subscription id. Names built from parameters are checked as far
    /// as their literal parts go (`concat('acr-', uniqueString(...))` can never be a registry
    /// name). Placeholders a pipeline substitutes (`GEN-UNIQUE` in a quickstart parameters
    /// file, `#_namePrefix_#` in an Azure Verified Modules test, the `placeholders` of
    /// `acr-cmk.toml`) are unknown parts.
    ///
    /// Scope: the names of the resources of a registry's CMK wiring (the registry with
    /// encryption enabled or unknown, the identities it uses, its key, the key's vault, the
    /// access policies that grant it); with `cmk-required`, every registry's; with
    /// `check-resources = "all"` in `acr-cmk.toml`, every registry, vault, identity, key and
    /// access policy of the template.
    ///
    /// ## Why is this bad?
    /// Resource Manager rejects the name at deployment time, often after other resources of the
    /// template were already created.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "name": "my-registry" }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { name: 'acr-${uniqueString(resourceGroup().id)}' }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "name": "myregistry" }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { name: 'acr${uniqueString(resourceGroup().id)}' }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules>
    ///   (registries, vaults, user-assigned identities)
    /// - <https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers>
    ///   (vault names 3–24 characters without consecutive hyphens; key names 1–127 characters)
    /// - <https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/accesspolicies>
    ///   (the resource name is `add`, `remove` or `replace`)
    pub struct InvalidResourceName {
        code: "CMK013",
        name: "invalid-resource-name",
        level: Error,
        summary: "A registry, vault, identity, key or access-policy name breaks Azure's naming rules",
    }
}

const KVP_IDENTITY: &str = "properties.encryption.keyVaultProperties.identity";

struct NameRule {
    ty: &'static str,
    what: &'static str,
    /// Which name segment to check (the last one for child resources).
    segment: usize,
    check: fn(&str) -> Result<(), String>,
    allowed: fn(char) -> bool,
    max: usize,
}

const RULES: [NameRule; 5] = [
    NameRule {
        ty: REGISTRY,
        what: "registry",
        segment: 0,
        check: azure::check_registry_name,
        allowed: |c| c.is_ascii_alphanumeric(),
        max: 50,
    },
    NameRule {
        ty: VAULT,
        what: "key vault",
        segment: 0,
        check: azure::check_vault_name,
        allowed: |c| c.is_ascii_alphanumeric() || c == '-',
        max: 24,
    },
    NameRule {
        ty: IDENTITY,
        what: "identity",
        segment: 0,
        check: azure::check_identity_name,
        allowed: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        max: 128,
    },
    NameRule {
        ty: KEY,
        what: "key",
        segment: 1,
        check: azure::check_key_name,
        allowed: |c| c.is_ascii_alphanumeric() || c == '-',
        max: 127,
    },
    NameRule {
        ty: ACCESS_POLICIES,
        what: "access policy",
        segment: 1,
        check: check_policy_name,
        allowed: |c| c.is_ascii_alphabetic(),
        max: 7,
    },
];

fn check_policy_name(name: &str) -> Result<(), String> {
    if ["add", "replace", "remove"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        Ok(())
    } else {
        Err(format!(
            "an access-policy resource is named <vault>/add, <vault>/replace or <vault>/remove, not <vault>/{name}"
        ))
    }
}

/// What is certainly wrong with a name whose literal parts are known.
fn problem(rule: &NameRule, name: &SymStr) -> Option<String> {
    if let Some(lit) = name.as_lit() {
        return (rule.check)(lit).err();
    }
    let literal: String = name
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Lit(s) => Some(s.as_str()),
            Part::Sym(_) => None,
        })
        .collect();
    let name = crate::quote::value(&name.to_string()).into_owned();
    if let Some(c) = literal.chars().find(|c| !(rule.allowed)(*c)) {
        return Some(format!(
            "{} names cannot contain {c:?}; '{name}' does whatever its parameters are",
            rule.what
        ));
    }
    if literal.chars().count() > rule.max {
        return Some(format!(
            "{} names are at most {} characters; the literal parts of '{name}' are already longer",
            rule.what, rule.max
        ));
    }
    None
}

impl Rule for InvalidResourceName {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for rule in &RULES {
            // `existing` references too when their name is written out (a name Azure never
            // accepts names no resource); a computed one may be what an optional parameter
            // left behind on a branch that is never taken.
            let checked = |r: &&Resource| {
                !r.existing
                    || r.name
                        .as_str()
                        .is_some_and(|n| !n.split('/').any(str::is_empty))
            };
            let in_scope = |(i, r): &(usize, &Resource)| checked(r) && ctx.in_scope(*i);
            for (i, r) in m.of_type(rule.ty).filter(in_scope) {
                let segments = name_segments(r);
                if segments.len() != rule.segment + 1 {
                    continue;
                }
                if let Some(why) = problem(rule, &segments[rule.segment]) {
                    out.push(
                        Finding::on(&Self::META, i, "name", why)
                            .at(r.name.loc)
                            .used_at(r.name.used_at)
                            .label(format!("invalid {} name", rule.what))
                            .help(format!(
                                "rename the {} to follow Azure's naming rules",
                                rule.what
                            )),
                    );
                }
            }
        }
        used_identity_ids(m, out);
        grant_scopes(m, out);
    }
}

/// The identity a CMK registry uses, when its resource id is written out (an identity the
/// template does not create): it must be a user-assigned identity's resource id.
fn used_identity_ids(m: &Model, out: &mut Vec<Finding>) {
    for (i, r) in cmk_registries(m) {
        let Some(id) = used_identity(r).0.identity_id() else {
            continue;
        };
        if let Some(Err(why)) = id.as_lit().map(azure::check_identity_resource_id) {
            out.push(
                Finding::on(&InvalidResourceName::META, i, KVP_IDENTITY, why)
                    .label("invalid identity resource id")
                    .help("use /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"),
            );
        }
    }
}

/// The deployment through which a CMK registry's identity is granted key access in another
/// resource group or subscription (the vault's), when it names them literally: they must be a
/// resource group's name and a subscription id.
fn grant_scopes(m: &Model, out: &mut Vec<Finding>) {
    let mut seen = Vec::new();
    for (_, _, access) in with_access(m) {
        for grant in access.definite() {
            let Some(d) = m.resources[grant.resource].parent_deployment else {
                continue;
            };
            if seen.contains(&d) || m.resources[d].existing {
                continue;
            }
            seen.push(d);
            let body = &m.resources[d].body;
            let literal = |path: &str| match lookup(body, path) {
                Prop::Known(n) => n.as_str().map(String::from),
                _ => None,
            };
            if let Some(Err(why)) = literal("resourceGroup")
                .as_deref()
                .map(azure::check_resource_group_name)
            {
                out.push(
                    Finding::on(&InvalidResourceName::META, d, "resourceGroup", why)
                        .label("invalid resource group name")
                        .help("name the resource group the vault is in"),
                );
            }
            if let Some(s) = literal("subscriptionId")
                && !azure::is_guid(&s)
            {
                out.push(
                    Finding::on(
                        &InvalidResourceName::META,
                        d,
                        "subscriptionId",
                        format!("subscription id '{s}' is not a GUID"),
                    )
                    .label("invalid subscription id")
                    .help("use the subscription's id (az account show --query id), not its name"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// `good()` with one resource renamed; a renamed vault stays the key's vault (the key
    /// identifier names it), so it stays in the CMK wiring.
    fn renamed(sym: &str, name: &str) -> serde_json::Value {
        let list = edit(good(), sym, |r| r["name"] = name.into());
        if sym != "kv" {
            return list;
        }
        edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                format!("https://{name}.vault.azure.net/keys/cmk").into()
        })
    }

    fn named(sym: &str, name: &str) -> crate::model::Model {
        model(renamed(sym, name))
    }

    #[test]
    fn valid_names_are_clean() {
        assert!(check(&InvalidResourceName, &model(good())).is_empty());
        assert!(
            check(
                &InvalidResourceName,
                &named("acr", "acr${expr:uniqueString(x)}")
            )
            .is_empty()
        );
    }

    #[test]
    fn invalid_literal_names_are_reported() {
        for (sym, name, ptr) in [
            ("acr", "my-registry", "/resources/3/name"),
            ("kv", "1vault", "/resources/1/name"),
            ("uai", "_id", "/resources/0/name"),
            ("pol", "kvcmk01/append", "/resources/2/name"),
        ] {
            let f = check(&InvalidResourceName, &named(sym, name));
            assert_eq!(pointers(&f), [ptr], "{name}");
        }
    }

    #[test]
    fn literal_parts_of_symbolic_names_are_checked() {
        let f = check(
            &InvalidResourceName,
            &named("acr", "acr-${expr:uniqueString(x)}"),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("'-'"), "{}", f[0].message);
    }

    #[test]
    fn placeholders_are_unknown_parts_of_a_name() {
        let prefixed = |sym: &str, name: &str| {
            named(
                sym,
                &name.replace("PREFIX", "${placeholder:#_namePrefix_#}"),
            )
        };
        assert!(check(&InvalidResourceName, &prefixed("acr", "PREFIXcrrencr001")).is_empty());
        assert!(check(&InvalidResourceName, &prefixed("uai", "dep-PREFIX-msi")).is_empty());
        assert!(
            check(
                &InvalidResourceName,
                &named("acr", "${placeholder:GEN-UNIQUE}")
            )
            .is_empty()
        );
        // The rest of the name is still checked.
        assert_eq!(
            check(&InvalidResourceName, &prefixed("acr", "PREFIX-acr")).len(),
            1
        );
    }

    #[test]
    fn names_outside_the_cmk_wiring_are_checked_only_when_asked() {
        let list = with(
            good(),
            serde_json::json!([{"sym": "kv2", "type": "Microsoft.KeyVault/vaults", "name": "k"},
                               {"sym": "acr2", "type": "Microsoft.ContainerRegistry/registries", "name": "acr"}]),
        );
        let m = model(list);
        assert!(check(&InvalidResourceName, &m).is_empty());
        let every_registry = crate::rules::ResourceScope::CmkWiring {
            every_registry: true,
        };
        assert_eq!(
            pointers(&check_in(&InvalidResourceName, &m, every_registry)),
            ["/resources/5/name"]
        );
        assert_eq!(
            pointers(&check_in(
                &InvalidResourceName,
                &m,
                crate::rules::ResourceScope::All
            )),
            ["/resources/5/name", "/resources/4/name"]
        );
    }

    #[test]
    fn referenced_resources_are_checked_when_named_literally() {
        // A name Azure rejects names no resource: the reference fails the deployment. A
        // computed name of a reference is not judged (it may come from an absent optional
        // parameter on a branch never taken).
        let existing = edit(renamed("kv", "1vault"), "kv", |r| {
            r["existing"] = true.into()
        });
        assert_eq!(
            pointers(&check(&InvalidResourceName, &model(existing))),
            ["/resources/1/name"]
        );
        let list = with(
            good(),
            serde_json::json!([
                {"type": "Microsoft.KeyVault/vaults", "name": "kv--old", "existing": true},
                {"type": "Microsoft.KeyVault/vaults", "name": "kv--${param:x}", "existing": true},
                {"type": "Microsoft.KeyVault/vaults/keys", "name": "kv1/", "existing": true}
            ]),
        );
        // References outside the CMK wiring: judged when every resource is checked.
        let m = model(list);
        assert!(check(&InvalidResourceName, &m).is_empty());
        let f = check_in(&InvalidResourceName, &m, crate::rules::ResourceScope::All);
        assert_eq!(pointers(&f), ["/resources/4/name"]);
    }

    #[test]
    fn a_written_out_identity_id_must_be_an_identity_resource_id() {
        let id = |id: &str| {
            model(edit(good(), "acr", |r| {
                r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                    format!("${{ref:{id}.properties.clientId}}").into();
            }))
        };
        // An identity of the template: its id is built, not written out.
        assert!(check(&InvalidResourceName, &id("uai")).is_empty());
        let written = |rid: &str| {
            check(
                &InvalidResourceName,
                &model(edit(good(), "acr", |r| {
                    r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                        format!("${{refid:{rid}#properties.clientId}}").into();
                })),
            )
        };
        let good_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-acr";
        assert!(written(good_id).is_empty());
        let f = written(&good_id.replace("00000000-0000-0000-0000-000000000000", "sub"));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/identity"]
        );
        assert!(f[0].message.contains("not a GUID"), "{}", f[0].message);
    }
}
