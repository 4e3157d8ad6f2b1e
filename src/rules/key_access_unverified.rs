use crate::finding::Finding;
use crate::model::Model;
use crate::query::grants::{
    Access, Grant, Lack, broken_statements, grant_site, lack_in_template, lack_of_access,
    unseen_deployments,
};
use crate::query::registries::with_access;
use crate::query::{short_name, shown};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Says, at note level, that the tool could not verify that a CMK registry's identity can
    /// use its key: the template grants the identity nothing the tool can see (or only grants
    /// that do not work), but it also has a deployment whose template the tool cannot see into,
    /// and the grant may be there. Such a deployment is one whose template is
    /// - remote: a `templateLink.uri` or a template spec (ARM fetches it at deployment time;
    ///   acr-cmk never uses the network), a Bicep registry module (`br:`, `br/public:`) or
    ///   template spec (`ts:`);
    /// - not known: `template` or `templateLink.relativePath` is an expression of values the
    ///   tool does not have;
    /// - unreadable: a linked template or local module that cannot be read or parsed;
    /// - not followed: past a limit of the resource policy (nesting depth, resource count), or
    ///   an inline template of a `Microsoft.Resources/deployments` resource written in Bicep.
    ///
    /// A Bicep statement skipped for a syntax error (BICEP000) that may declare resources (a
    /// `resource`, a `module`, or a statement whose kind cannot be told) hides a grant the same
    /// way: the note names it and where its error is.
    ///
    /// It says so too, whether or not such a deployment exists, when the template does not
    /// create the identity (it is passed in by id) and grants it nothing that works: the grant
    /// may have been made where the identity is managed, which the tool cannot see either, so
    /// CMK007 does not report it, but a lint that passes must not suggest that it was checked.
    ///
    /// The note names the deployment and why its template could not be seen. Where the tool
    /// sees every template, the same situation is an error: CMK007 (key-access-missing).
    /// A deployment whose template the tool does see never hides a grant: an inline or local
    /// one is looked into, so AVM's empty telemetry deployment (`pid-…`, `"resources": []`)
    /// changes nothing.
    ///
    /// It also says, with or without such a deployment, that the key access could not be
    /// verified when the only grants that may be for the identity name a principal the tool
    /// cannot tell (a parameter with no value instead of the identity's `principalId`, or, for
    /// the registry's system-assigned identity, the registry's `identity.principalId`): the note
    /// names the grant and its principal.
    ///
    /// ## Why is this bad?
    /// If the grant is not in the deployment the tool could not see either, the registry
    /// cannot unwrap its data key: the deployment fails, or a running registry stops serving
    /// images. A lint that passes without saying what it could not check is a promise it
    /// cannot keep.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.Resources/deployments", "name": "grants",
    ///   "properties": { "mode": "Incremental",
    ///     "templateLink": { "uri": "https://example.org/templates/key-access.json" } } }
    /// ```
    /// (and no access policy or role assignment for the registry's identity anywhere else)
    ///
    /// ```bicep
    /// module grants 'br:contoso.azurecr.io/bicep/modules/key-access:1.0.0' = { ... }
    /// ```
    ///
    /// ## Use instead
    /// Grant the identity where the tool can check it (an inline or local template), or lint
    /// the remote template too (`acr-cmk lint key-access.json`) and accept the note:
    /// ```json
    /// { "type": "Microsoft.Resources/deployments", "name": "grants",
    ///   "properties": { "mode": "Incremental",
    ///     "templateLink": { "relativePath": "key-access.json" } } }
    /// ```
    ///
    /// ```bicep
    /// module grants './key-access.bicep' = { ... }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/linked-templates>
    ///   (inline, linked and `relativePath` templates)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/modules> (local and
    ///   registry modules)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   (the identity needs get, wrapKey and unwrapKey on the key)
    pub struct KeyAccessUnverified {
        code: "CMK020",
        name: "key-access-unverified",
        level: Note,
        summary: "The registry's key access could not be verified: the grant may be in a deployment the tool cannot see into, made outside the template for an identity it does not create, or names a principal it cannot tell",
    }
}

/// Deployments named in the message; the others are only labelled.
const NAMED: usize = 1;
/// Deployments labelled in the source.
const LABELLED: usize = 3;

impl Rule for KeyAccessUnverified {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        // Where a grant may hide: (where, the words that finish "the grant may be in …", the
        // label there).
        let mut hidden: Vec<(crate::source::Loc, String, String)> = unseen_deployments(m)
            .map(|(d, why)| {
                (
                    m.resources[d].loc,
                    format!(
                        "deployment '{}', whose template is {why}",
                        short_name(&m.resources[d])
                    ),
                    format!("the tool cannot see into this deployment: its template is {why}"),
                )
            })
            .collect();
        // The deployments come first: a help for "that template" fits only when one is named.
        let deployment_named = !hidden.is_empty();
        hidden.extend(broken_statements(m).map(|b| {
            (
                b.error,
                format!("{}, which has a syntax error at {}", b.what, b.at),
                "the tool cannot read this statement: it has a syntax error".to_string(),
            )
        }));
        let place = match broken_statements(m).next() {
            Some(_) => "place",
            None => "deployment",
        };
        let kvp = "properties.encryption.keyVaultProperties.identity";
        for (i, _, a) in with_access(m) {
            if !a.identity_deployed {
                let what = match lack_in_template(m, &a) {
                    None => continue,
                    Some(Lack::NoGrant) => "no grant in the template is for it",
                    Some(Lack::Ineffective(_)) => "no grant in the template gives it key access",
                    Some(Lack::PrincipalUnknown(grants)) => {
                        out.push(principal_unknown(m, i, &a, &grants));
                        continue;
                    }
                };
                out.push(
                    Finding::on(
                        &Self::META,
                        i,
                        kvp,
                        format!(
                            "could not verify that {} can use the registry's key: the template does not create it and {what}; it may be granted where it is managed",
                            a.who(m),
                        ),
                    )
                    .label("key access not verified for this identity")
                    .help("make sure the identity is granted get, wrapKey and unwrapKey on the key (or the role Key Vault Crypto Service Encryption User on an RBAC vault) before the registry is deployed; then suppress this note with that as the reason"),
                );
                continue;
            }
            let what = match lack_of_access(m, &a) {
                None => continue,
                Some(Lack::PrincipalUnknown(grants)) => {
                    out.push(principal_unknown(m, i, &a, &grants));
                    continue;
                }
                Some(Lack::NoGrant) => "no grant in the template is for it",
                Some(Lack::Ineffective(_)) => "no grant in the template gives it key access",
            };
            let Some((_, first, _)) = hidden.first() else {
                continue;
            };
            let more = match hidden.len() - NAMED {
                0 => String::new(),
                n => format!(
                    " (or in {n} more such {place}{})",
                    if n == 1 { "" } else { "s" }
                ),
            };
            let mut f = Finding::on(
                &Self::META,
                i,
                kvp,
                format!(
                    "could not verify that {} can use the registry's key: {what}, but the grant may be in {first}{more}",
                    a.who(m),
                ),
            )
            .label("key access not verified for this identity")
            .help(if deployment_named {
                "make sure that template grants the identity get, wrapKey and unwrapKey on the key (or the role Key Vault Crypto Service Encryption User on an RBAC vault); lint it too if you can"
            } else {
                "fix the syntax error so that the statement is checked; a grant there must give the identity get, wrapKey and unwrapKey on the key (or the role Key Vault Crypto Service Encryption User on an RBAC vault)"
            });
            for (loc, _, label) in hidden.iter().take(LABELLED) {
                f = f.related(*loc, label.clone());
            }
            out.push(f);
        }
    }
}

/// An identity granted only (if at all) by grants to principals the tool cannot tell.
fn principal_unknown(m: &Model, registry: usize, a: &Access, grants: &[&Grant]) -> Finding {
    let first = grants[0];
    // `{parameters('p')}`: the value as written, symbols in braces.
    let principal = match first.principal.value.to_symstr() {
        Some(s) => s.to_string(),
        None => shown(first.principal),
    };
    let more = match grants.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more such grant{})", if n == 1 { "" } else { "s" }),
    };
    let mut f = Finding::on(
        &KeyAccessUnverified::META,
        registry,
        "properties.encryption.keyVaultProperties.identity",
        format!(
            "could not verify that {} can use the registry's key: no grant in the template is certainly for it; the grant in '{}' is for principal {principal}, which the tool cannot tell is {whose}{more}",
            a.who(m),
            short_name(&m.resources[first.resource]),
            whose = if a.system { "the registry's" } else { "that identity's" },
        ),
    )
    .label("key access not verified for this identity")
    .help(if a.system {
        "write the grant's principal as the registry's identity.principalId (ARM reference(<registry id>, '<api>', 'Full').identity.principalId, Bicep registry.identity.principalId) so that it can be checked, or make sure the value passed is that principal"
    } else {
        "write the grant's principal as the identity's principalId (ARM reference(<identity id>).principalId, Bicep identity.properties.principalId) so that it can be checked, or make sure the value passed is that principal"
    });
    for g in grants.iter().take(LABELLED) {
        f = f.related(
            m.locate(g.resource, grant_site(g).segments()).0,
            "the principal of this grant cannot be told",
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Level;
    use crate::rules::key_access_missing::KeyAccessMissing;
    use crate::rules::testing::*;
    use serde_json::json;

    fn remote() -> serde_json::Value {
        json!([{"sym": "remote", "type": "Microsoft.Resources/deployments", "name": "grants",
                "unseen": "templateLink.uri 'https://example.org/t.json'",
                "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.org/t.json"}}}])
    }

    #[test]
    fn a_missing_grant_with_an_unseen_deployment_is_a_note_naming_it() {
        let m = model(with(remove(good(), "pol"), remote()));
        let f = check(&KeyAccessUnverified, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/encryption/keyVaultProperties/identity"]
        );
        assert_eq!(f[0].level, Level::Note);
        assert_eq!(
            f[0].message,
            "could not verify that identity '{parameters('identity_name')}' can use the registry's key: no grant in the template is for it, but the grant may be in deployment 'grants', whose template is remote (templateLink.uri 'https://example.org/t.json')"
        );
        assert_eq!(f[0].related.len(), 1);
        assert_eq!(f[0].related[0].loc, m.resources[3].loc);
        // CMK007 stays silent: it is not certain.
        assert!(check(&KeyAccessMissing, &m).is_empty());
    }

    #[test]
    fn an_ineffective_grant_with_an_unseen_deployment_is_a_note_too() {
        let list = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["permissions"]["keys"] = json!(["get"])
        });
        let f = check(&KeyAccessUnverified, &model(with(list, remote())));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("no grant in the template gives it key access")
        );
    }

    #[test]
    fn nothing_to_say_when_a_grant_works_or_every_template_is_seen() {
        assert!(check(&KeyAccessUnverified, &model(with(good(), remote()))).is_empty());
        assert!(check(&KeyAccessUnverified, &model(remove(good(), "pol"))).is_empty());
        // An identity passed in by id and granted in the template: verified.
        let list = edit(good(), "uai", |r| r["existing"] = true.into());
        assert!(check(&KeyAccessUnverified, &model(list)).is_empty());
    }

    #[test]
    fn an_identity_passed_in_without_a_grant_is_a_note_without_any_unseen_deployment() {
        // It may hold a grant made where it is managed: not an error (CMK007 stays silent),
        // but not a silent pass either.
        let list = edit(remove(good(), "pol"), "uai", |r| {
            r["existing"] = true.into()
        });
        let m = model(list);
        let f = check(&KeyAccessUnverified, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/encryption/keyVaultProperties/identity"]
        );
        assert_eq!(f[0].level, Level::Note);
        assert!(
            f[0].message.contains(
                "the template does not create it and no grant in the template is for it"
            ),
            "{}",
            f[0].message
        );
        assert!(check(&KeyAccessMissing, &m).is_empty());
    }

    #[test]
    fn the_system_identity_granted_only_to_an_unknown_principal_is_a_note_naming_the_grant() {
        let list = on_system_identity(good());
        let list = edit(list, "pol", |r| {
            let mut entry = r["properties"]["accessPolicies"][0].clone();
            entry["objectId"] = "${param:registry_principal_id}".into();
            r["properties"]["accessPolicies"]
                .as_array_mut()
                .unwrap()
                .push(entry);
        });
        let m = model(list.clone());
        let f = check(&KeyAccessUnverified, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/identity"]
        );
        assert_eq!(f[0].level, Level::Note);
        assert_eq!(
            f[0].message,
            "could not verify that the registry's system-assigned identity can use the registry's key: no grant in the template is certainly for it; the grant in 'kvcmk01/add' is for principal {parameters('registry_principal_id')}, which the tool cannot tell is the registry's"
        );
        assert_eq!(f[0].related.len(), 1);
        // A user-assigned identity granted only to a principal the tool cannot tell: the
        // same note (a grant that is not checked is not a pass), and no CMK007.
        let uai = edit(remove(good(), "pol"), "kv", |r| {
            r["properties"]["accessPolicies"] = json!([{"tenantId": "t",
                "objectId": "${param:principal}",
                "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]}}])
        });
        let f = check(&KeyAccessUnverified, &model(uai.clone()));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.ends_with(
                "is for principal {parameters('principal')}, which the tool cannot tell is that identity's"
            ),
            "{}",
            f[0].message
        );
        assert!(check(&KeyAccessMissing, &model(uai)).is_empty());
        // With the registry's principal written out there is nothing to say.
        let known = edit(list, "pol", |r| {
            r["properties"]["accessPolicies"][1]["objectId"] =
                "${ref:acr.identity.principalId}".into()
        });
        assert!(check(&KeyAccessUnverified, &model(known)).is_empty());
    }

    #[test]
    fn the_system_identity_without_a_grant_and_an_unseen_deployment_is_a_note() {
        let list = on_system_identity(good());
        let m = model(with(list, remote()));
        let f = check(&KeyAccessUnverified, &m);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with(
                "could not verify that the registry's system-assigned identity can use the registry's key: no grant in the template is for it, but the grant may be in deployment 'grants'"
            ),
            "{}",
            f[0].message
        );
        assert!(check(&KeyAccessMissing, &m).is_empty());
    }
}
