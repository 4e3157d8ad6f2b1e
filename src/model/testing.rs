//! Build [`Model`]s by hand for tests of the queries and rules, without a front end.
//!
//! `model(json!([...]))` takes a list of resources written like ARM resources, plus:
//! - `"sym": "uai"`: a symbolic name that other resources refer to;
//! - `"existing": true`, `"ifDeployed": true` (unknown condition), `"dependsOn": ["uai"]`
//!   (symbolic names), `"in": "dep"` (declared by the template of deployment `dep`),
//!   `"unseen": "why"` (a deployment whose template the tool cannot see: a remote link).
//!
//! Strings may hold holes `${...}` that become symbols:
//! `${param:NAME}` a parameter, `${ref:SYM.properties.clientId}` a runtime property of a resource,
//! `${id:SYM}` a resource's id, `${refid:ID#PATH}` a runtime property of a resource known by a
//! literal id, `${expr:TEXT}` a deterministic expression, `${placeholder:TEXT}` a pipeline
//! placeholder, `${opaque}` an unknown.
//! Object keys may be `${id:SYM}` too (stored as the id's display form, as the front ends do).
//! Every node gets its own location (byte offsets counting up), so tests can tell them apart.

use crate::model::{
    Key, Model, Node, Object, Presence, Resource, Scope, Sym, SymStr, Value, resource_id,
};
use crate::source::Loc;
use serde_json::Value as J;
use std::cell::Cell;

struct Ctx {
    syms: Vec<(String, SymStr)>,
    next: Cell<u32>,
}

impl Ctx {
    fn loc(&self) -> Loc {
        let n = self.next.get();
        self.next.set(n + 10);
        Loc {
            file: 0,
            start: n,
            end: n + 5,
        }
    }
    fn id_of(&self, sym: &str) -> SymStr {
        self.syms
            .iter()
            .find(|(s, _)| s == sym)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("test model: no resource with sym {sym}"))
    }
    fn hole(&self, h: &str) -> SymStr {
        if let Some(p) = h.strip_prefix("param:") {
            SymStr::sym(Sym::Param(p.into()))
        } else if let Some(r) = h.strip_prefix("ref:") {
            let mut it = r.split('.');
            let id = self.id_of(it.next().unwrap());
            SymStr::sym(Sym::ResourceProp {
                id,
                path: it.map(String::from).collect(),
            })
        } else if let Some(r) = h.strip_prefix("refid:") {
            // `${refid:/subscriptions/…#properties.clientId}`: a property of a resource known
            // only by its (literal) id, as `reference('<id>')` gives.
            let (id, path) = r.split_once('#').expect("refid:<id>#<path>");
            SymStr::sym(Sym::ResourceProp {
                id: SymStr::lit(id),
                path: path.split('.').map(String::from).collect(),
            })
        } else if let Some(s) = h.strip_prefix("id:") {
            self.id_of(s)
        } else if let Some(e) = h.strip_prefix("expr:") {
            SymStr::sym(Sym::Expr(e.into()))
        } else if let Some(p) = h.strip_prefix("placeholder:") {
            SymStr::sym(Sym::Placeholder(p.into()))
        } else {
            SymStr::sym(Sym::Opaque(h.into()))
        }
    }
    fn string(&self, s: &str) -> SymStr {
        let mut out = SymStr::default();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_lit(&rest[..start]);
            let end = rest[start..].find('}').expect("unclosed ${") + start;
            out.append(&self.hole(&rest[start + 2..end]));
            rest = &rest[end + 1..];
        }
        out.push_lit(rest);
        out
    }
    fn node(&self, v: &J) -> Node {
        let loc = self.loc();
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or_default()),
            },
            J::String(s) => Value::from_symstr(self.string(s)),
            J::Array(a) => Value::Array(a.iter().map(|x| self.node(x)).collect()),
            J::Object(o) => Value::Object(Object {
                entries: o
                    .iter()
                    .map(|(k, v)| {
                        let name = self.string(k).to_string();
                        (
                            Key {
                                name,
                                loc: self.loc(),
                            },
                            self.node(v),
                        )
                    })
                    .collect(),
            }),
        };
        Node::new(value, loc)
    }
}

const META_KEYS: [&str; 6] = ["sym", "existing", "ifDeployed", "dependsOn", "in", "unseen"];

/// Build a model from a JSON list of resources (see the module docs).
pub fn model(resources: J) -> Model {
    let list = resources.as_array().expect("a list of resources").clone();
    let mut ctx = Ctx {
        syms: Vec::new(),
        next: Cell::new(0),
    };
    let scope = Scope::resource_group_deployment();
    // Pass 1: ids (names may use parameters and expressions, not other ids).
    let mut ids = Vec::new();
    for r in &list {
        let ty = r["type"].as_str().expect("type");
        let name = ctx.string(r["name"].as_str().unwrap_or("${opaque}"));
        let id = resource_id(&scope, ty, &name.split('/'));
        if let Some(sym) = r.get("sym").and_then(J::as_str) {
            ctx.syms.push((sym.to_string(), id.clone()));
        }
        ids.push(id);
    }
    let index = |sym: &str, ctx: &Ctx| {
        let id = ctx.id_of(sym);
        ids.iter().position(|i| i.same(&id)).unwrap()
    };
    let mut model = Model::default();
    for (i, r) in list.iter().enumerate() {
        let mut body = r.clone();
        for k in META_KEYS {
            body.as_object_mut().unwrap().remove(k);
        }
        let body = ctx.node(&body);
        let deps = r
            .get("dependsOn")
            .and_then(J::as_array)
            .map(|a| a.iter().map(|d| index(d.as_str().unwrap(), &ctx)).collect())
            .unwrap_or_default();
        let parent_deployment = r.get("in").and_then(J::as_str).map(|d| index(d, &ctx));
        model.resources.push(Resource {
            ty: r["type"].as_str().unwrap().to_string(),
            api_version: r.get("apiVersion").and_then(J::as_str).map(String::from),
            name: body
                .get("name")
                .cloned()
                .unwrap_or_else(|| ctx.node(&J::Null)),
            id: ids[i].clone(),
            symbolic_name: r.get("sym").and_then(J::as_str).map(String::from),
            existing: r.get("existing").and_then(J::as_bool).unwrap_or(false),
            presence: if r.get("ifDeployed").and_then(J::as_bool).unwrap_or(false) {
                Presence::IfDeployed
            } else {
                Presence::Always
            },
            depends_on: deps,
            contains: Vec::new(),
            unseen: r
                .get("unseen")
                .and_then(J::as_str)
                .map(|why| crate::model::Unseen::Remote(why.into())),
            parent_deployment,
            loc: ctx.loc(),
            body,
            pointer: format!("/resources/{i}"),
        });
    }
    for i in 0..model.resources.len() {
        if let Some(d) = model.resources[i].parent_deployment {
            model.resources[d].contains.push(i);
        }
    }
    model
}

/// A correct CMK deployment: identity, vault with purge protection, access policy `vault/add`,
/// versionless key URI, Premium registry that depends on the policy. Tests start from it and
/// break one thing.
pub fn good() -> J {
    serde_json::json!([
        {"sym": "uai", "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
         "apiVersion": "2023-01-31", "name": "${param:identity_name}", "location": "westeurope"},
        {"sym": "kv", "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
         "name": "kvcmk01", "location": "westeurope",
         "properties": {"tenantId": "${expr:subscription().tenantId}",
                        "sku": {"family": "A", "name": "standard"},
                        "enableSoftDelete": true, "softDeleteRetentionInDays": 90,
                        "enablePurgeProtection": true, "accessPolicies": []}},
        {"sym": "pol", "type": "Microsoft.KeyVault/vaults/accessPolicies", "apiVersion": "2023-07-01",
         "name": "kvcmk01/add", "dependsOn": ["kv", "uai"],
         "properties": {"accessPolicies": [{
             "tenantId": "${expr:subscription().tenantId}",
             "objectId": "${ref:uai.properties.principalId}",
             "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]}}]}},
        {"sym": "acr", "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
         "name": "${param:registry_name}", "location": "westeurope", "dependsOn": ["uai", "pol"],
         "sku": {"name": "Premium"},
         "identity": {"type": "UserAssigned", "userAssignedIdentities": {"${id:uai}": {}}},
         "properties": {"adminUserEnabled": false, "encryption": {"status": "enabled",
             "keyVaultProperties": {"identity": "${ref:uai.properties.clientId}",
                                    "keyIdentifier": "https://kvcmk01.vault.azure.net/keys/cmk"}}}}
    ])
}

/// Edit the resource with symbolic name `sym` of a JSON resource list.
pub fn edit(mut list: J, sym: &str, f: impl FnOnce(&mut J)) -> J {
    let r = list
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["sym"] == sym)
        .unwrap_or_else(|| panic!("no resource {sym}"));
    f(r);
    list
}

/// The registry `acr` moved to its system-assigned identity (`az acr encryption rotate-key
/// --identity [system]`): both identities enabled, `keyVaultProperties.identity: 'system'`.
pub fn on_system_identity(list: J) -> J {
    edit(list, "acr", |r| {
        r["identity"]["type"] = "SystemAssigned, UserAssigned".into();
        r["properties"]["encryption"]["keyVaultProperties"]["identity"] = "system".into();
    })
}

/// Remove the resource with symbolic name `sym` (and the dependencies on it).
pub fn remove(mut list: J, sym: &str) -> J {
    let arr = list.as_array_mut().unwrap();
    arr.retain(|r| r["sym"] != sym);
    for r in arr.iter_mut() {
        if let Some(d) = r.get_mut("dependsOn").and_then(J::as_array_mut) {
            d.retain(|x| x != sym);
        }
    }
    list
}

/// Append resources.
pub fn with(mut list: J, more: J) -> J {
    let arr = list.as_array_mut().unwrap();
    arr.extend(more.as_array().unwrap().iter().cloned());
    list
}
