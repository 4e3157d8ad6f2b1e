//! The scope functions: `resourceGroup()`, `subscription()`, `tenant()`, `managementGroup()`,
//! `deployment()` and `environment()`.
//!
//! Each returns the object ARM documents
//! (<https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-scope>,
//! <https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-deployment>),
//! with the same keys in both front ends: what the deployment scope tells (the subscription and
//! resource group of ids) is filled in, every other property is the named unknown ARM would
//! evaluate (`resourceGroup().location`, `environment().suffixes.keyvaultDns`). Bicep's forms
//! with arguments (`resourceGroup('rg')`, `subscription(id)`, `managementGroup(name)`) give the
//! same shape for that scope, named by the call (`subscription('s').tenantId`).

use super::canon::call_text;
use super::value::{expr, object, opaque};
use crate::model::{Node, Object, Scope, SymStr, Value};
use crate::source::Loc;

/// The named unknown `<call>.<prop>` (opaque when the call has no canonical text).
fn unknown(call: &Option<String>, prop: &str) -> Value {
    match call {
        Some(c) => Value::Sym(expr(format!("{c}.{prop}"))),
        None => Value::opaque(format!("{prop} of an unknown scope")),
    }
}

/// The text of an optional argument (`default` without it); `None` when it is not a string.
fn arg_or(arg: Option<&Node>, default: impl FnOnce() -> SymStr) -> Option<SymStr> {
    match arg {
        None => Some(default()),
        Some(a) => a.value.to_symstr(),
    }
}

/// The deployment's subscription: known from the scope, else `subscription().subscriptionId`.
fn current_subscription(scope: &Scope) -> SymStr {
    scope
        .subscription
        .clone()
        .unwrap_or_else(|| expr("subscription().subscriptionId"))
}

/// `resourceGroup()` / Bicep `resourceGroup(name)` / `resourceGroup(subscriptionId, name)`:
/// `{id, name, type, location, managedBy, tags, properties}`.
pub fn resource_group(scope: &Scope, args: &[Node], loc: Loc) -> Node {
    let text = |n: &Node| n.value.to_symstr();
    let (sub, rg) = match args {
        [] => (
            current_subscription(scope),
            scope
                .resource_group
                .clone()
                .unwrap_or_else(|| expr("resourceGroup().name")),
        ),
        [rg] => match text(rg) {
            Some(rg) => (current_subscription(scope), rg),
            None => return opaque("resourceGroup() of an unknown name", loc),
        },
        [sub, rg, ..] => match (text(sub), text(rg)) {
            (Some(s), Some(r)) => (s, r),
            _ => return opaque("resourceGroup() of an unknown name", loc),
        },
    };
    let call = call_text("resourceGroup", args);
    let mut id = SymStr::lit("/subscriptions/");
    id.append(&sub);
    id.push_lit("/resourceGroups/");
    id.append(&rg);
    object(
        vec![
            ("id", Value::from_symstr(id)),
            ("name", Value::from_symstr(rg)),
            (
                "type",
                Value::Str("Microsoft.Resources/resourceGroups".into()),
            ),
            ("location", unknown(&call, "location")),
            ("managedBy", unknown(&call, "managedBy")),
            ("tags", unknown(&call, "tags")),
            ("properties", unknown(&call, "properties")),
        ],
        loc,
    )
}

/// `subscription()` / Bicep `subscription(subscriptionId)`:
/// `{id, subscriptionId, tenantId, displayName}`.
pub fn subscription(scope: &Scope, args: &[Node], loc: Loc) -> Node {
    let Some(sub) = arg_or(args.first(), || current_subscription(scope)) else {
        return opaque("subscription() of an unknown id", loc);
    };
    let call = call_text("subscription", args);
    let mut id = SymStr::lit("/subscriptions/");
    id.append(&sub);
    object(
        vec![
            ("id", Value::from_symstr(id)),
            ("subscriptionId", Value::from_symstr(sub)),
            ("tenantId", unknown(&call, "tenantId")),
            ("displayName", unknown(&call, "displayName")),
        ],
        loc,
    )
}

/// `tenant()`: `{countryCode, displayName, id, tenantId}`, the id being `/tenants/{tenantId}`.
pub fn tenant(loc: Loc) -> Node {
    let call = Some("tenant()".to_string());
    let mut id = SymStr::lit("/tenants/");
    id.append(&expr("tenant().tenantId"));
    object(
        vec![
            ("countryCode", unknown(&call, "countryCode")),
            ("displayName", unknown(&call, "displayName")),
            ("id", Value::from_symstr(id)),
            ("tenantId", unknown(&call, "tenantId")),
        ],
        loc,
    )
}

/// `managementGroup()` / Bicep `managementGroup(name)`: `{id, name, properties, type}`.
pub fn management_group(args: &[Node], loc: Loc) -> Node {
    let call = call_text("managementGroup", args);
    let Some(name) = arg_or(args.first(), || expr("managementGroup().name")) else {
        return opaque("managementGroup() of an unknown name", loc);
    };
    let mut id = SymStr::lit("/providers/Microsoft.Management/managementGroups/");
    id.append(&name);
    object(
        vec![
            ("id", Value::from_symstr(id)),
            ("name", Value::from_symstr(name)),
            ("properties", unknown(&call, "properties")),
            (
                "type",
                Value::Str("/providers/Microsoft.Management/managementGroups".into()),
            ),
        ],
        loc,
    )
}

/// `deployment()`: `{name, properties}` (`properties` holds `template` or `templateLink`,
/// `parameters`, `mode`, …), and `location` in deployments to a subscription, management group
/// or tenant.
pub fn deployment(scope: &Scope, loc: Loc) -> Node {
    let call = Some("deployment()".to_string());
    let mut entries = vec![
        ("name", unknown(&call, "name")),
        ("properties", unknown(&call, "properties")),
    ];
    if scope.resource_group.is_none() {
        entries.push(("location", unknown(&call, "location")));
    }
    object(entries, loc)
}

/// The cloud's endpoints and suffixes, `environment()`.
pub fn environment(loc: Loc) -> Node {
    let leaf = |path: &str| Value::Sym(expr(format!("environment().{path}")));
    let group = |name: &str, keys: &[&str]| {
        let entries = keys
            .iter()
            .map(|k| (*k, leaf(&format!("{name}.{k}"))))
            .collect();
        object(entries, loc).value
    };
    let mut entries: Vec<(&str, Value)> = [
        "name",
        "gallery",
        "graph",
        "portal",
        "graphAudience",
        "activeDirectoryDataLake",
        "batch",
        "media",
        "sqlManagement",
        "vmImageAliasDoc",
        "resourceManager",
    ]
    .into_iter()
    .map(|k| (k, leaf(k)))
    .collect();
    entries.push((
        "authentication",
        group(
            "authentication",
            &["loginEndpoint", "audiences", "tenant", "identityProvider"],
        ),
    ));
    entries.push((
        "suffixes",
        group(
            "suffixes",
            &[
                "acrLoginServer",
                "azureDatalakeAnalyticsCatalogAndJob",
                "azureDatalakeStoreFileSystem",
                "azureFrontDoorEndpointSuffix",
                "keyvaultDns",
                "sqlServerHostname",
                "storage",
            ],
        ),
    ));
    object(entries, loc)
}

/// The deployment scope a scope object denotes (Bicep `scope: resourceGroup('rg')`,
/// `scope: subscription()`, `scope: tenant()`), read from its `id`; `None` when the object is
/// not one of them.
pub fn scope_of_object(o: &Object) -> Option<Scope> {
    let id = o.get("id")?.value.to_symstr()?;
    let parts = id.split('/');
    let is = |i: usize, text: &str| {
        parts
            .get(i)
            .and_then(|p| p.as_lit())
            .is_some_and(|l| l.eq_ignore_ascii_case(text))
    };
    if !is(0, "") {
        return None;
    }
    match parts.len() {
        5 if is(1, "subscriptions") && is(3, "resourceGroups") => Some(Scope {
            subscription: Some(parts[2].clone()),
            resource_group: Some(parts[4].clone()),
        }),
        3 if is(1, "subscriptions") => Some(Scope {
            subscription: Some(parts[2].clone()),
            resource_group: None,
        }),
        3 if is(1, "tenants") => Some(Scope {
            subscription: None,
            resource_group: None,
        }),
        5 if is(1, "providers") && is(3, "managementGroups") => Some(Scope {
            subscription: None,
            resource_group: None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: &Node, key: &str) -> String {
        n.get(key).unwrap().value.to_symstr().unwrap().to_string()
    }

    #[test]
    fn the_current_resource_group_is_named_by_the_deployment_scope() {
        let rg = resource_group(&Scope::resource_group_deployment(), &[], Loc::default());
        assert_eq!(
            text(&rg, "id"),
            "/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}"
        );
        assert_eq!(text(&rg, "location"), "{resourceGroup().location}");
        let scope = scope_of_object(rg.as_object().unwrap()).unwrap();
        assert_eq!(
            scope.resource_group.unwrap().to_string(),
            "{resourceGroup().name}"
        );
    }

    #[test]
    fn another_resource_group_has_its_own_unknowns() {
        let name = Node::new(Value::Str("rg2".into()), Loc::default());
        let rg = resource_group(&Scope::resource_group_deployment(), &[name], Loc::default());
        assert_eq!(text(&rg, "name"), "rg2");
        assert_eq!(text(&rg, "location"), "{resourceGroup('rg2').location}");
    }

    #[test]
    fn every_scope_object_names_its_scope() {
        let s = Scope::resource_group_deployment();
        let sub = subscription(&s, &[], Loc::default());
        let sub_scope = scope_of_object(sub.as_object().unwrap()).unwrap();
        assert!(sub_scope.subscription.is_some() && sub_scope.resource_group.is_none());
        let t = scope_of_object(tenant(Loc::default()).as_object().unwrap()).unwrap();
        assert!(t.subscription.is_none() && t.resource_group.is_none());
        let mg = management_group(&[], Loc::default());
        assert!(scope_of_object(mg.as_object().unwrap()).is_some());
        assert_eq!(
            text(
                &environment(Loc::default()).get("suffixes").unwrap().clone(),
                "keyvaultDns"
            ),
            "{environment().suffixes.keyvaultDns}"
        );
    }
}
