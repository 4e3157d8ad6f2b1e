//! Resource and module declarations → model resources: types, names, ids, scopes, conditions,
//! loops, child resources, modules (local files followed, registry modules opaque) and the
//! implicit `dependsOn` the Bicep compiler derives from symbol references.

use super::eval::{
    Decl, DeclKind, Eval, InstanceMemo, Memo, Ref, first_named, if_body, if_condition, loop_source,
    loop_vars, opaque, relocate,
};
use crate::eval::limits::{Limit, MAX_DEPLOYMENT_NESTING, MAX_EXPR_DEPTH, MAX_RESOURCES};
use crate::eval::scope::scope_of_object;
use crate::eval::value::expr;
use crate::model::{
    Key, Node, Object, Presence, Resource, Scope, SymStr, Unseen, Value, extension_resource_id,
    resource_id,
};
use crate::source::Loc;
use std::collections::HashMap;
use std::rc::Rc;
use tree_sitter::Node as Ts;

/// One deployed instance of a resource declaration (a loop gives several).
#[derive(Clone)]
pub struct Inst<'t> {
    pub ty: String,
    pub api: Option<String>,
    pub names: Vec<SymStr>,
    /// The `name` property as written (`kv.name`).
    pub short_name: Node,
    pub full_name: Node,
    pub id: SymStr,
    pub existing: bool,
    pub presence: Presence,
    /// False when a condition is false: not deployed, but its id and name exist.
    pub deployed: bool,
    pub locals: Vec<(String, Node)>,
    pub body: Ts<'t>,
    pub type_loc: Loc,
    /// Scope id of an extension resource (`scope: kv`).
    pub extension_scope: Option<SymStr>,
    /// `parent:` or the enclosing resource of a nested declaration.
    pub parent: Option<Ref>,
}

/// One instance of a module declaration.
#[derive(Clone)]
pub struct ModInst {
    pub name: Node,
    pub id: SymStr,
    /// The module's outputs; `None` for a registry module or a file that could not be loaded.
    pub outputs: Option<Vec<(String, Node)>>,
    pub index: Option<usize>,
}

/// Where a resource or module is deployed, from its `scope:` property.
enum ScopeOf {
    Default,
    Scope(Scope),
    Extension(SymStr),
}

/// Where a declaration is instantiated: loop bindings, presence and, for a nested resource,
/// the enclosing instance (with its index and symbol).
type NestingContext<'t> = (
    Vec<(String, Node)>,
    Presence,
    Option<(Inst<'t>, usize, String)>,
);

/// One expansion of a declaration's `if`/`for`: loop bindings, presence and the body object.
/// `None` presence: the condition is false (the instance keeps its place in a loop, and its id
/// and name can still be referred to, as in ARM).
type Expansion<'t> = (Vec<(String, Node)>, Option<Presence>, Ts<'t>);

impl<'t, 's> Eval<'t, 's> {
    pub fn is_loop_resource(&self, sym: &str) -> bool {
        self.decls
            .get(sym)
            .is_some_and(|d| declared_value(d.node).is_some_and(|v| v.kind() == "for_statement"))
    }

    pub fn is_loop_module(&self, sym: &str) -> bool {
        self.is_loop_resource(sym)
    }

    /// Expand `if` and `for` around a declaration body, under the given loop bindings.
    fn expand(
        &mut self,
        value: Ts<'t>,
        base: Vec<(String, Node)>,
        presence: Presence,
    ) -> Vec<Expansion<'t>> {
        let saved = std::mem::replace(&mut self.locals, base.clone());
        let out = self.expand_inner(value, base, presence);
        self.locals = saved;
        out
    }

    fn expand_inner(
        &mut self,
        value: Ts<'t>,
        base: Vec<(String, Node)>,
        presence: Presence,
    ) -> Vec<Expansion<'t>> {
        match value.kind() {
            "object" => vec![(base, Some(presence), value)],
            "if_statement" => {
                let Some(body) = if_body(value) else {
                    return vec![];
                };
                let cond = if_condition(value).map(|c| self.eval(c).value);
                match cond {
                    Some(Value::Bool(false)) => vec![(base, None, body)],
                    Some(Value::Bool(true)) => vec![(base, Some(presence), body)],
                    _ => vec![(base, Some(Presence::IfDeployed), body)],
                }
            }
            "for_statement" => {
                let Some(body) = value.child_by_field_name("body") else {
                    return vec![];
                };
                let (item, index) = loop_vars(self, value);
                let items = loop_source(value).map(|s| self.eval(s));
                let items = items.as_ref().and_then(super::eval::iterable);
                let loc = self.loc(value);
                match items {
                    Some(items) if items.len() <= super::eval::MAX_LOOP => {
                        let mut out = Vec::new();
                        for (i, it) in items.into_iter().enumerate() {
                            let mut locals = base.clone();
                            if let Some(v) = &item {
                                locals.push((v.clone(), it));
                            }
                            if let Some(v) = &index {
                                locals.push((v.clone(), Node::new(Value::Int(i as i64), loc)));
                            }
                            self.locals = locals.clone();
                            out.extend(self.expand_inner(body, locals, presence));
                        }
                        out
                    }
                    // Unknown or huge collection: one representative instance, maybe deployed.
                    _ => {
                        let mut locals = base.clone();
                        if let Some(v) = &item {
                            locals.push((v.clone(), opaque("loop item", loc)));
                        }
                        if let Some(v) = &index {
                            locals.push((v.clone(), opaque("loop index", loc)));
                        }
                        self.locals = locals.clone();
                        self.expand_inner(body, locals, Presence::IfDeployed)
                            .into_iter()
                            .map(|(l, p, b)| (l, p.map(|_| Presence::IfDeployed), b))
                            .collect()
                    }
                }
            }
            _ => vec![],
        }
    }

    /// The instances of a symbol, built once by `build` and kept in the memo `memo` selects.
    /// `build` runs one level deeper with fresh references and loop bindings; whatever path it
    /// returns by (the resource limit included), the depth, references, loop bindings and the
    /// memo entry are restored here. A symbol met again while its own instances are being built
    /// (a cycle) has none.
    fn memoised_instances<T>(
        &mut self,
        sym: &str,
        memo: fn(&mut Self) -> &mut InstanceMemo<T>,
        build: impl FnOnce(&mut Self, Decl<'t>) -> Vec<T>,
    ) -> Rc<Vec<T>> {
        match memo(self).get(sym) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::InProgress) => return Rc::new(Vec::new()),
            None => {}
        }
        let Some(decl) = self.decls.get(sym).copied() else {
            return Rc::new(Vec::new());
        };
        // `parent:` and `scope:` chains recurse: hostile input could nest them without end.
        if self.depth > MAX_EXPR_DEPTH {
            self.shared.meter.hit(Limit::Nesting, self.loc(decl.node));
            return Rc::new(Vec::new());
        }
        memo(self).insert(sym.to_string(), Memo::InProgress);
        let saved_refs = std::mem::take(&mut self.refs);
        let saved_locals = std::mem::take(&mut self.locals);
        let saved_depth = self.depth;
        self.depth += 1;
        let out = Rc::new(build(self, decl));
        self.depth = saved_depth;
        self.locals = saved_locals;
        self.refs = saved_refs;
        memo(self).insert(sym.to_string(), Memo::Done(out.clone()));
        out
    }

    pub fn resource_instances(&mut self, sym: &str) -> Rc<Vec<Inst<'t>>> {
        self.memoised_instances(sym, |ev| &mut ev.res_memo, Self::build_instances)
    }

    fn build_instances(&mut self, decl: Decl<'t>) -> Vec<Inst<'t>> {
        // A nested declaration is instantiated once per instance of its enclosing resource.
        let contexts: Vec<NestingContext<'t>> = match decl.parent {
            Some(p) => {
                let pname = self.qualified_name(p);
                let parents = self.resource_instances(&pname);
                parents
                    .iter()
                    .enumerate()
                    .map(|(i, pi)| {
                        (
                            pi.locals.clone(),
                            pi.presence,
                            Some((pi.clone(), i, pname.clone())),
                        )
                    })
                    .collect()
            }
            None => vec![(Vec::new(), self.presence, None)],
        };
        let mut out = Vec::new();
        for (locals, presence, parent) in contexts {
            let Some(value) = declared_value(decl.node) else {
                continue;
            };
            let parent_deployed = parent.as_ref().is_none_or(|(pi, _, _)| pi.deployed);
            for (locals, presence, body) in self.expand(value, locals, presence) {
                self.locals = locals.clone();
                let mut inst = self.make_instance(
                    decl.node,
                    body,
                    locals,
                    presence.unwrap_or(Presence::IfDeployed),
                    parent.as_ref(),
                );
                inst.deployed = presence.is_some() && parent_deployed;
                out.push(inst);
            }
        }
        out
    }

    fn make_instance(
        &mut self,
        decl: Ts<'t>,
        body: Ts<'t>,
        locals: Vec<(String, Node)>,
        presence: Presence,
        nested_in: Option<&(Inst<'t>, usize, String)>,
    ) -> Inst<'t> {
        let type_node = first_named(decl, "string");
        let type_loc = type_node.map(|t| self.loc(t)).unwrap_or(self.loc(decl));
        let type_text = type_node
            .and_then(|t| self.eval(t).as_str().map(String::from))
            .unwrap_or_default();
        // `'az:My.Rp/TestType@2020-01-01'`: a type qualified by its extension's alias (the
        // compiled resource names the extension apart from its type).
        let type_text = match type_text.split_once(':') {
            Some((alias, rest)) if !alias.is_empty() && !alias.contains(['/', '@']) => {
                rest.to_string()
            }
            _ => type_text,
        };
        let (mut ty, mut api) = match type_text.split_once('@') {
            Some((t, a)) => (t.to_string(), Some(a.to_string())),
            None => (type_text.clone(), None),
        };
        let existing = {
            let mut c = decl.walk();
            decl.children(&mut c).any(|ch| ch.kind() == "existing")
        };
        let short_name = match prop(self, body, "name") {
            Some(n) => self.eval(n),
            None => opaque("resource without a name", type_loc),
        };
        let mut names: Vec<SymStr> = Vec::new();
        let mut parent = None;
        let mut scope = ScopeOf::Default;
        if let Some((pi, i, pname)) = nested_in {
            ty = format!("{}/{}", pi.ty, ty);
            api = api.or(pi.api.clone());
            names = pi.names.clone();
            parent = Some(Ref {
                symbol: pname.clone(),
                index: Some(*i),
            });
            scope = inherit_scope(pi);
        } else if let Some(p) = prop(self, body, "parent")
            && let Some((psym, DeclKind::Resource, idx)) = self.symbol_of(p)
        {
            let parents = self.resource_instances(&psym);
            if let Some(pi) = Self::pick(&parents, self.is_loop_resource(&psym), idx) {
                names = pi.names.clone();
                scope = inherit_scope(pi);
                parent = Some(Ref {
                    symbol: psym.clone(),
                    index: idx.flatten(),
                });
            } else {
                let n_parent_segments = ty.split('/').count().saturating_sub(2);
                names = (0..n_parent_segments)
                    .map(|_| {
                        SymStr::sym(crate::model::Sym::Opaque(
                            "parent instance not known".into(),
                        ))
                    })
                    .collect();
                parent = Some(Ref {
                    symbol: psym,
                    index: None,
                });
            }
        }
        let short = short_name.value.to_symstr().unwrap_or_else(|| {
            SymStr::sym(crate::model::Sym::Opaque("name is not a string".into()))
        });
        if names.is_empty() && parent.is_none() {
            names = short.split('/');
        } else {
            names.push(short);
        }
        if let Some(s) = prop(self, body, "scope") {
            scope = self.scope_of(s);
        }
        let id = match &scope {
            ScopeOf::Default => resource_id(&self.scope, &ty, &names),
            ScopeOf::Scope(s) => resource_id(s, &ty, &names),
            ScopeOf::Extension(sid) => extension_resource_id(sid, &ty, &names),
        };
        let mut full = SymStr::default();
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                full.push_lit("/");
            }
            full.append(n);
        }
        let full_name = Node::new(Value::from_symstr(full), short_name.loc);
        Inst {
            ty,
            api,
            names,
            short_name,
            full_name,
            id,
            existing,
            presence,
            deployed: true,
            locals,
            body,
            type_loc,
            extension_scope: match scope {
                ScopeOf::Extension(s) => Some(s),
                _ => None,
            },
            parent,
        }
    }

    /// What a `scope:` expression denotes: a resource (extension resource), a resource group,
    /// a subscription or the tenant.
    fn scope_of(&mut self, s: Ts<'t>) -> ScopeOf {
        if let Some((sym, DeclKind::Resource, idx)) = self.symbol_of(s) {
            let insts = self.resource_instances(&sym);
            return match Self::pick(&insts, self.is_loop_resource(&sym), idx) {
                // `scope: rg` where `rg` is a resource group declared in a subscription-scope
                // file: a deployment into that resource group.
                Some(i)
                    if i.ty
                        .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") =>
                {
                    ScopeOf::Scope(Scope {
                        subscription: self
                            .scope
                            .subscription
                            .clone()
                            .or_else(|| Some(expr("subscription().subscriptionId"))),
                        resource_group: i.names.last().cloned(),
                    })
                }
                Some(i) => ScopeOf::Extension(i.id.clone()),
                None => ScopeOf::Extension(SymStr::sym(crate::model::Sym::Opaque(
                    "scope instance not known".into(),
                ))),
            };
        }
        let v = self.eval(s);
        match &v.value {
            Value::Object(o) => match scope_of_object(o) {
                Some(scope) => ScopeOf::Scope(scope),
                None => ScopeOf::Default,
            },
            Value::Str(_) | Value::Sym(_) => match v.value.to_symstr() {
                Some(id) => ScopeOf::Extension(id),
                None => ScopeOf::Default,
            },
            _ => ScopeOf::Default,
        }
    }

    /// Build the model resources of every resource declaration, in source order.
    pub fn build_resources(&mut self) {
        let order = self.order.clone();
        for (sym, decl) in order {
            match decl.kind {
                DeclKind::Resource => self.build_resource(&sym),
                DeclKind::Module => {
                    self.module_instances(&sym);
                }
                _ => {}
            }
        }
    }

    fn build_resource(&mut self, sym: &str) {
        if self.res_index.contains_key(sym) {
            return;
        }
        if self.shared.model.resources.len() >= MAX_RESOURCES {
            if let Some(d) = self.decls.get(sym) {
                let at = self.loc(d.node);
                self.shared.meter.hit(Limit::Resources, at);
            }
            return;
        }
        let insts = self.resource_instances(sym);
        let syntactic = match self.decls.get(sym).and_then(|d| declared_value(d.node)) {
            Some(v) => self.syntactic_refs(v),
            None => Vec::new(),
        };
        let mut indexes = Vec::new();
        for inst in insts.iter() {
            if !inst.deployed {
                indexes.push(None);
                continue;
            }
            let saved_locals = std::mem::replace(&mut self.locals, inst.locals.clone());
            let saved_refs = std::mem::take(&mut self.refs);
            let mut body = self.eval_object(inst.body);
            let mut refs = std::mem::replace(&mut self.refs, saved_refs);
            self.locals = saved_locals;
            refs.extend(inst.parent.clone());
            add_syntactic(&mut refs, &syntactic, sym);
            if let Value::Object(o) = &mut body.value {
                // What ARM sees: the full name, no `parent`/`dependsOn` (they become edges),
                // an extension resource's scope as an id.
                o.entries.retain(|(k, _)| {
                    !k.name.eq_ignore_ascii_case("parent")
                        && !k.name.eq_ignore_ascii_case("dependsOn")
                });
                if let Some((k, _)) = o.get_entry("name") {
                    let k = k.clone();
                    o.insert(k, inst.full_name.clone());
                }
                if let Some(scope_id) = &inst.extension_scope
                    && let Some((k, v)) = o.get_entry("scope")
                {
                    let (k, loc) = (k.clone(), v.loc);
                    o.insert(k, Node::new(Value::from_symstr(scope_id.clone()), loc));
                }
            }
            let idx = self.shared.model.resources.len();
            let pointer = format!("{}/resources/{sym}", self.pointer_prefix);
            let unseen = declared_deployment_unseen(&inst.ty, &body);
            self.shared.model.resources.push(Resource {
                ty: inst.ty.clone(),
                api_version: inst.api.clone(),
                name: inst.full_name.clone(),
                id: inst.id.clone(),
                symbolic_name: Some(sym.to_string()),
                existing: inst.existing,
                presence: inst.presence,
                depends_on: Vec::new(),
                contains: Vec::new(),
                unseen,
                parent_deployment: self.parent_deployment,
                body,
                loc: inst.type_loc,
                pointer,
            });
            self.pending.push((idx, refs));
            indexes.push(Some(idx));
        }
        self.res_index.insert(sym.to_string(), indexes);
    }

    pub fn module_instances(&mut self, sym: &str) -> Rc<Vec<ModInst>> {
        self.memoised_instances(
            sym,
            |ev| &mut ev.mod_memo,
            |ev, decl| ev.build_module_instances(sym, decl),
        )
    }

    fn build_module_instances(&mut self, sym: &str, decl: Decl<'t>) -> Vec<ModInst> {
        if self.shared.model.resources.len() >= MAX_RESOURCES {
            self.shared.meter.hit(Limit::Resources, self.loc(decl.node));
            return Vec::new();
        }
        let path = first_named(decl.node, "string").map(|s| self.eval(s));
        let path = path
            .as_ref()
            .and_then(|p| p.as_str().map(String::from))
            .unwrap_or_default();
        let mut out = Vec::new();
        if let Some(value) = declared_value(decl.node) {
            let presence = self.presence;
            for (locals, presence, body) in self.expand(value, Vec::new(), presence) {
                self.locals = locals;
                self.refs.clear();
                out.push(match presence {
                    Some(p) => self.instantiate_module(sym, decl.node, &path, body, p),
                    None => self.undeployed_module(sym, decl.node, body),
                });
            }
        }
        out
    }

    /// A module instance's deployment: its name (`name_loc` when Bicep generates it), the
    /// scope it deploys to and its id.
    fn module_deployment(
        &mut self,
        sym: &str,
        body: Ts<'t>,
        name_loc: Loc,
    ) -> (Node, Scope, SymStr) {
        let name = match prop(self, body, "name") {
            Some(n) => self.eval(n),
            // Bicep names an unnamed module deployment itself.
            None => opaque(format!("generated name of module {sym}"), name_loc),
        };
        let target = match prop(self, body, "scope").map(|s| self.scope_of(s)) {
            Some(ScopeOf::Scope(s)) => s,
            _ => self.scope.clone(),
        };
        let name_s = name
            .value
            .to_symstr()
            .unwrap_or_else(|| SymStr::sym(crate::model::Sym::Opaque("module name".into())));
        let id = resource_id(&target, "Microsoft.Resources/deployments", &[name_s]);
        (name, target, id)
    }

    /// A module whose condition is false: its deployment name and id, nothing deployed.
    fn undeployed_module(&mut self, sym: &str, decl: Ts<'t>, body: Ts<'t>) -> ModInst {
        let (name, _, id) = self.module_deployment(sym, body, self.loc(decl));
        ModInst {
            id,
            name,
            outputs: None,
            index: None,
        }
    }

    fn instantiate_module(
        &mut self,
        sym: &str,
        decl: Ts<'t>,
        path: &str,
        body: Ts<'t>,
        presence: Presence,
    ) -> ModInst {
        let decl_loc = first_named(decl, "string")
            .map(|s| self.loc(s))
            .unwrap_or(self.loc(decl));
        let (name, target, id) = self.module_deployment(sym, body, decl_loc);
        let evaluated = self.eval_object(body);
        let mut refs = std::mem::take(&mut self.refs);
        if let Some(v) = declared_value(decl) {
            let syntactic = self.syntactic_refs(v);
            add_syntactic(&mut refs, &syntactic, sym);
        }
        let inputs: HashMap<String, Node> = evaluated
            .get("params")
            .and_then(|p| p.as_object())
            .map(|o| o.iter().map(|(k, v)| (k.name.clone(), v.clone())).collect())
            .unwrap_or_default();
        let explicit_scope = prop(self, body, "scope").is_some();
        let body_obj = deployment_body(evaluated, &target, explicit_scope, self.loc(body));
        let idx = self.shared.model.resources.len();
        let pointer = format!("{}/modules/{sym}", self.pointer_prefix);
        self.shared.model.resources.push(Resource {
            ty: "Microsoft.Resources/deployments".into(),
            api_version: None,
            name: name.clone(),
            id: id.clone(),
            symbolic_name: Some(sym.to_string()),
            existing: false,
            presence,
            depends_on: Vec::new(),
            contains: Vec::new(),
            unseen: None,
            parent_deployment: self.parent_deployment,
            body: Node::new(Value::Object(body_obj), self.loc(body)),
            loc: decl_loc,
            pointer: pointer.clone(),
        });
        self.pending.push((idx, refs));
        let outputs = match self.load_module(path, decl_loc, inputs, target, idx, presence, pointer)
        {
            Ok(outputs) => Some(outputs),
            Err(unseen) => {
                self.shared.model.resources[idx].unseen = Some(unseen);
                None
            }
        };
        let contains: Vec<usize> = (idx + 1..self.shared.model.resources.len())
            .filter(|&i| self.shared.model.resources[i].parent_deployment == Some(idx))
            .collect();
        self.shared.model.resources[idx].contains = contains;
        ModInst {
            name,
            id,
            outputs,
            index: Some(idx),
        }
    }

    /// Load and evaluate a local module file; its resources join the model under deployment
    /// `idx`. Returns its outputs, or why the tool cannot see into the module.
    #[allow(clippy::too_many_arguments)]
    fn load_module(
        &mut self,
        path: &str,
        at: Loc,
        inputs: HashMap<String, Node>,
        scope: Scope,
        idx: usize,
        presence: Presence,
        pointer: String,
    ) -> Result<Vec<(String, Node)>, Unseen> {
        if path.starts_with("br:") || path.starts_with("br/") || path.starts_with("ts:") {
            // Reading a registry needs the network, which the tool never uses.
            self.note_not_followed(
                at,
                "registry module not followed: its resources are not checked here",
                "a module from a registry",
                "acr-cmk reads no registry; lint the module's source where it is maintained",
            );
        }
        if path.starts_with("br:") || path.starts_with("br/") {
            return Err(Unseen::Remote(format!("registry module '{path}'")));
        }
        if path.starts_with("ts:") || path.starts_with("ts/") {
            return Err(Unseen::Remote(format!("template spec '{path}'")));
        }
        if path.is_empty() {
            return Err(Unseen::Unknown("the module path".into()));
        }
        let Some(dir) = self.dir.as_ref() else {
            return Err(Unseen::Unreadable(format!(
                "'{path}' cannot be resolved without the file's directory"
            )));
        };
        // Canonical paths, so that `./a/../m.bicep` and `m.bicep` are one file to the cycle guard.
        let _ = dir;
        let Some(file) = resolve_reference(self, path, at, &pointer) else {
            return Err(Unseen::Unreadable(format!(
                "'{path}' is not read (see REF001)"
            )));
        };
        if self.shared.module_stack.iter().any(|p| p == &file) {
            return Err(Unseen::NotFollowed(format!(
                "'{path}' uses itself (a module cycle)"
            )));
        }
        // The stack holds the top-level file: a module of a file at depth d is at depth d + 1.
        if self.shared.module_stack.len() > MAX_DEPLOYMENT_NESTING {
            let at = self.shared.model.resources[idx].loc;
            self.shared.meter.hit(Limit::Nesting, at);
            return Err(Unseen::NotFollowed(format!(
                "modules nested more than {MAX_DEPLOYMENT_NESTING} deep"
            )));
        }
        if is_json_module(path) {
            let call = crate::arm::load::ModuleCall {
                file: 0,
                path: file.clone(),
                scope,
                inputs,
                parent_deployment: idx,
                presence,
                depth: self.shared.module_stack.len(),
                pointer,
            };
            return self.json_module(&file, path, at, call).ok_or_else(|| {
                Unseen::NotFollowed(format!("'{path}' is not an ARM template acr-cmk can read"))
            });
        }
        let Some((file_id, text, parsed)) = load_cached(self, &file, path, at, &pointer) else {
            let why = if !file.is_file() {
                "no such file"
            } else if matches!(self.shared.modules.get(&file), Some(None)) {
                "it has syntax errors"
            } else {
                "it cannot be read"
            };
            return Err(Unseen::Unreadable(format!("'{path}': {why}")));
        };
        self.shared.module_stack.push(file.clone());
        let outputs = super::evaluate_parsed(
            self.shared,
            file_id,
            &text,
            &parsed,
            file.parent().map(|p| p.to_path_buf()),
            super::FileSetup {
                inputs,
                scope,
                parent_deployment: Some(idx),
                presence,
                pointer_prefix: pointer,
            },
        );
        self.shared.module_stack.pop();
        Ok(outputs.unwrap_or_default())
    }

    /// A module written as an ARM JSON template: the ARM front end evaluates it as the
    /// template of the module's deployment, into this unit's model, and its outputs come back.
    /// One that cannot be read, parsed or is not a template stays opaque, with a note.
    fn json_module(
        &mut self,
        file: &std::path::Path,
        path: &str,
        at: Loc,
        mut call: crate::arm::load::ModuleCall,
    ) -> Option<Vec<(String, Node)>> {
        let (file_id, template) = match load_json_cached(self, file, path) {
            Ok(loaded) => loaded,
            Err(why) => {
                self.note_json_not_followed(
                    at,
                    &format!("JSON module not followed: {why}; its resources are not checked here"),
                );
                return None;
            }
        };
        call.file = file_id;
        let shared = &mut *self.shared;
        let mut loader = crate::arm::load::Loader::resume(
            std::mem::take(&mut shared.sources),
            std::mem::take(&mut shared.model),
            std::mem::take(&mut shared.findings),
            shared.meter.clone(),
            shared.root.clone(),
        );
        let outputs = loader.load_module(&template, call);
        shared.sources = loader.sources;
        shared.model = loader.model;
        shared.findings = loader.findings;
        // A linked template it refers to outside the root (REF001) leaves the unit unchecked.
        shared.incomplete |= loader.incomplete;
        Some(outputs)
    }

    /// BICEP001 at `at` for a JSON module or import that is not followed.
    pub(super) fn note_json_not_followed(&mut self, at: Loc, message: &str) {
        self.note_not_followed(
            at,
            message,
            "an ARM JSON template",
            "make it a valid ARM template (`acr-cmk lint` on that file shows why it is not)",
        );
    }

    /// BICEP001 at `at` (once: a module in a loop is one note).
    fn note_not_followed(&mut self, at: Loc, message: &str, label: &str, help: &str) {
        let findings = &mut self.shared.findings;
        if !findings.iter().any(|f| f.code == "BICEP001" && f.loc == at) {
            findings.push(
                crate::finding::Finding::new(crate::rules::meta("BICEP001"), at, message)
                    .label(label)
                    .help(help),
            );
        }
    }

    /// Turn the references collected per resource into `depends_on` edges.
    pub fn resolve_dependencies(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (idx, refs) in pending {
            let mut deps: Vec<usize> = Vec::new();
            for r in refs {
                if let Some(&b) = self.broken.get(&r.symbol) {
                    let used_by = &mut self.shared.model.broken[b].used_by;
                    if !used_by.contains(&idx) {
                        used_by.push(idx);
                    }
                    continue;
                }
                let targets: Vec<usize> = if let Some(list) = self.res_index.get(&r.symbol) {
                    match r.index {
                        Some(i) => list.get(i).copied().flatten().into_iter().collect(),
                        None => list.iter().flatten().copied().collect(),
                    }
                } else if let Some(Memo::Done(m)) = self.mod_memo.get(&r.symbol) {
                    match r.index {
                        Some(i) => m.get(i).and_then(|x| x.index).into_iter().collect(),
                        None => m.iter().filter_map(|x| x.index).collect(),
                    }
                } else {
                    Vec::new()
                };
                for t in targets {
                    if t != idx && !deps.contains(&t) {
                        deps.push(t);
                    }
                }
            }
            self.shared.model.resources[idx].depends_on = deps;
        }
    }

    /// Evaluate the outputs of this file (for the module that loaded it).
    pub fn outputs(&mut self) -> Vec<(String, Node)> {
        let order = self.order.clone();
        let mut out = Vec::new();
        for (name, decl) in order {
            if decl.kind == DeclKind::Output {
                let loc = self.loc(decl.node);
                let v = match super::eval::last_expression(decl.node) {
                    Some(e) => self.eval(e),
                    None => opaque("output without value", loc),
                };
                out.push((name, relocate(v, loc)));
            }
        }
        out
    }
}

/// Symbols mentioned in the declaration but not met by evaluation (skipped branches, unknown
/// loops) are dependencies on every instance, as the compiler makes them.
fn add_syntactic(refs: &mut Vec<Ref>, syntactic: &[String], own: &str) {
    for s in syntactic {
        if s != own && !refs.iter().any(|r| &r.symbol == s) {
            refs.push(Ref {
                symbol: s.clone(),
                index: None,
            });
        }
    }
}

/// The canonical path a module or import path leads to, if it may be read: relative, inside
/// the lint root. A refused reference is reported (REF001) at `at`, once, and makes the unit
/// incomplete. `None` also for a file evaluated without a directory (nothing to resolve from).
pub(super) fn resolve_reference(
    ev: &mut Eval,
    path: &str,
    at: Loc,
    pointer: &str,
) -> Option<std::path::PathBuf> {
    let dir = ev.dir.clone()?;
    match ev.shared.root.resolve(&dir, path) {
        Ok(file) => Some(file),
        Err(why) => {
            refuse(ev.shared, path, at, pointer, &why);
            None
        }
    }
}

/// Report a refused reference once, where it is written (`pointer`: the path of the
/// declaration that makes it, for machine output), and mark the unit incomplete.
pub(super) fn refuse(
    shared: &mut super::Shared,
    path: &str,
    at: Loc,
    pointer: &str,
    why: &crate::read::ReadError,
) {
    shared.incomplete = true;
    if shared.refused.insert((at.file, at.start)) {
        shared
            .findings
            .push(crate::rules::unreadable_reference::finding(at, path, why).pointer(pointer));
    }
}

/// A module or import path that names an ARM JSON template rather than a Bicep file.
pub(super) fn is_json_module(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".jsonc")
}

/// Read and parse a JSON module once per unit: its file and template, or why it is not
/// followed (its parse error is an ARM000 finding in that file).
pub(super) fn load_json_cached(
    ev: &mut Eval,
    file: &std::path::Path,
    path: &str,
) -> Result<(crate::source::FileId, Rc<crate::arm::json::JVal>), String> {
    if !ev.shared.json_modules.contains_key(file) {
        let loaded = read_json_module(ev, file, path);
        ev.shared.json_modules.insert(file.to_path_buf(), loaded);
    }
    ev.shared.json_modules[file].clone()
}

fn read_json_module(
    ev: &mut Eval,
    file: &std::path::Path,
    path: &str,
) -> Result<(crate::source::FileId, Rc<crate::arm::json::JVal>), String> {
    // The path came through the lint root's check; the reader refuses devices and huge files.
    let text = crate::read::text(file).map_err(|e| format!("`{path}` cannot be read: {e}"))?;
    let display = module_display(&ev.shared.sources.get(ev.file).name, path);
    let file_id = ev.shared.sources.add(display, text.as_str());
    let template = match crate::arm::json::parse(&text) {
        Ok(t) => t,
        Err(e) => {
            let finding = crate::arm::parse_error(file_id, &text, &e);
            ev.shared.findings.push(finding);
            return Err(format!("`{path}` is not valid JSON"));
        }
    };
    if crate::arm::kind_of(&template) != crate::arm::JsonKind::Template {
        return Err(format!(
            "`{path}` is not an ARM template (its `$schema` is not a deploymentTemplate schema)"
        ));
    }
    Ok((file_id, Rc::new(template)))
}

/// Read, parse and check a module or imported file (a path from [`resolve_reference`]) once
/// per unit.
pub(super) fn load_cached(
    ev: &mut Eval,
    file: &std::path::Path,
    path: &str,
    at: Loc,
    pointer: &str,
) -> Option<(crate::source::FileId, Rc<str>, Rc<super::recover::Checked>)> {
    if !ev.shared.modules.contains_key(file) {
        let text = match ev.shared.root.read_resolved(file) {
            Ok(text) => text,
            Err(why) => {
                refuse(ev.shared, path, at, pointer, &why);
                return None;
            }
        };
        let display = module_display(&ev.shared.sources.get(ev.file).name, path);
        let file_id = ev.shared.sources.add(display, text.as_str());
        let loaded =
            super::check_file(ev.shared, file_id, &text).map(|parsed| super::LoadedModule {
                file: file_id,
                text: Rc::from(text.as_str()),
                parsed: Rc::new(parsed),
            });
        ev.shared.modules.insert(file.to_path_buf(), loaded);
    }
    let loaded = ev.shared.modules.get(file)?.as_ref()?;
    Some((loaded.file, loaded.text.clone(), loaded.parsed.clone()))
}

/// What the tool cannot see of a `Microsoft.Resources/deployments` resource written in Bicep
/// (as AVM writes its telemetry deployment): its inline template is not evaluated, so only a
/// template that declares no resources is seen through; a linked one is remote.
fn declared_deployment_unseen(ty: &str, body: &Node) -> Option<Unseen> {
    if !ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
        return None;
    }
    let props = body.get("properties")?;
    if let Some(template) = props.get("template") {
        if template.as_object().is_none() {
            return Some(Unseen::Unknown("`template` is not an object".into()));
        }
        return match template.get("resources").map(|r| &r.value) {
            None => None,
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(Value::Object(o)) if o.entries.is_empty() => None,
            Some(_) => Some(Unseen::NotFollowed(
                "an inline template in a Bicep `Microsoft.Resources/deployments` resource".into(),
            )),
        };
    }
    let link = props.get("templateLink")?;
    let written = |key: &str| {
        link.get(key)
            .map(|v| v.value.to_symstr().map_or("…".into(), |s| s.to_string()))
    };
    Some(match (written("uri"), written("id")) {
        (Some(uri), _) => Unseen::Remote(format!("templateLink.uri '{uri}'")),
        (None, Some(id)) => Unseen::Remote(format!("template spec '{id}'")),
        (None, None) => Unseen::NotFollowed("a templateLink without uri or id".into()),
    })
}

/// A child keeps its parent's resource group and subscription (or extension scope).
fn inherit_scope(parent: &Inst) -> ScopeOf {
    match &parent.extension_scope {
        Some(s) => ScopeOf::Extension(s.clone()),
        None => {
            // The parent's id starts with its scope; recover it from the id's first segments.
            let parts = parent.id.split('/');
            // ["", "subscriptions", s, "resourceGroups", rg, "providers", …]
            if parts.len() > 5
                && parts[1]
                    .as_lit()
                    .is_some_and(|l| l.eq_ignore_ascii_case("subscriptions"))
                && parts[3]
                    .as_lit()
                    .is_some_and(|l| l.eq_ignore_ascii_case("resourceGroups"))
            {
                ScopeOf::Scope(Scope {
                    subscription: Some(parts[2].clone()),
                    resource_group: Some(parts[4].clone()),
                })
            } else {
                ScopeOf::Default
            }
        }
    }
}

/// The value after `=` of a resource or module declaration (object, `if` or `for`).
pub fn declared_value(n: Ts) -> Option<Ts> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .find(|ch| matches!(ch.kind(), "object" | "if_statement" | "for_statement"))
}

/// The value node of a property of a body object.
fn prop<'t>(ev: &Eval<'t, '_>, obj: Ts<'t>, key: &str) -> Option<Ts<'t>> {
    let mut c = obj.walk();
    for p in obj.named_children(&mut c) {
        if p.kind() != "object_property" {
            continue;
        }
        let k = p.named_child(0)?;
        let kt = ev.src(k).trim_matches('\'');
        if kt == key {
            return super::eval::last_expression(p).filter(|v| v.id() != k.id());
        }
    }
    None
}

/// Display name of a module file: relative to the including file's directory, as given.
fn module_display(parent: &str, path: &str) -> String {
    match parent.rfind(['/', '\\']) {
        Some(i) => format!("{}/{}", &parent[..i], path.trim_start_matches("./")),
        None => path.trim_start_matches("./").to_string(),
    }
}

/// A module's body in its compiled form, so that rules (SCH001 included) see what they see in
/// the compiled template: `name`, `resourceGroup` / `subscriptionId` from an explicit `scope`,
/// and `properties` with `expressionEvaluationOptions.scope: inner`, `mode: Incremental` and
/// every `params` entry as `parameters.<p>.value`. Other module keys (`dependsOn`, `scope`,
/// `params`) have no place in the compiled body.
fn deployment_body(evaluated: Node, target: &Scope, explicit_scope: bool, loc: Loc) -> Object {
    let src = match evaluated.value {
        Value::Object(o) => o,
        _ => Object::default(),
    };
    let key = |name: &str, loc: Loc| Key {
        name: name.to_string(),
        loc,
    };
    let mut out = Object::default();
    if let Some((k, v)) = src.get_entry("name") {
        out.insert(k.clone(), v.clone());
    }
    if let Some((k, _)) = src.get_entry("scope").filter(|_| explicit_scope) {
        if let Some(sub) = &target.subscription {
            out.insert(
                key("subscriptionId", k.loc),
                Node::new(Value::from_symstr(sub.clone()), k.loc),
            );
        }
        if let Some(rg) = &target.resource_group {
            out.insert(
                key("resourceGroup", k.loc),
                Node::new(Value::from_symstr(rg.clone()), k.loc),
            );
        }
    }
    let mut props = Object::default();
    let mut options = Object::default();
    options.insert(
        key("scope", loc),
        Node::new(Value::Str("inner".into()), loc),
    );
    props.insert(
        key("expressionEvaluationOptions", loc),
        Node::new(Value::Object(options), loc),
    );
    props.insert(
        key("mode", loc),
        Node::new(Value::Str("Incremental".into()), loc),
    );
    let mut parameters = Object::default();
    let (params_loc, given) = match src.get_entry("params") {
        Some((k, v)) => (k.loc, v.as_object().cloned().unwrap_or_default()),
        None => (loc, Object::default()),
    };
    for (k, v) in given.entries {
        let mut wrapper = Object::default();
        wrapper.insert(key("value", v.loc), v.clone());
        parameters.insert(k, Node::new(Value::Object(wrapper), v.loc));
    }
    props.insert(
        key("parameters", params_loc),
        Node::new(Value::Object(parameters), params_loc),
    );
    out.insert(key("properties", loc), Node::new(Value::Object(props), loc));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bicep::{FileSetup, Shared, syntax};

    /// A unit already at the resource limit: a module and a resource declared after it are
    /// not modelled, the limit is recorded, and the evaluator's state is as it was.
    #[test]
    fn the_memo_restores_its_state_past_the_resource_limit() {
        let text = "module m './m.bicep' = {\n  name: 'm'\n}\n\
                    resource r 'A.B/c@2020-01-01' = {\n  name: 'r'\n}\n";
        let parsed =
            crate::bicep::recover::check(text, 0, syntax::FileKind::Bicep).expect("parses");
        let mut shared = Shared::default();
        let file = shared.sources.add("main.bicep", text);
        let filler = Resource {
            ty: "A.B/c".into(),
            api_version: None,
            name: Node::null(Loc::default()),
            id: SymStr::lit("/x"),
            symbolic_name: None,
            existing: false,
            presence: Presence::Always,
            depends_on: Vec::new(),
            contains: Vec::new(),
            unseen: None,
            parent_deployment: None,
            body: Node::null(Loc::default()),
            loc: Loc::default(),
            pointer: String::new(),
        };
        shared.model.resources = vec![filler; MAX_RESOURCES];
        let mut ev = Eval::new(
            &mut shared,
            file,
            text,
            None,
            FileSetup::top(HashMap::new()),
        );
        ev.collect(&parsed.statements());
        // State of an enclosing evaluation.
        ev.depth = 3;
        ev.locals.push(("x".into(), Node::null(Loc::default())));
        ev.refs.push(Ref {
            symbol: "outer".into(),
            index: None,
        });

        assert!(ev.module_instances("m").is_empty());
        assert_eq!(ev.depth, 3);
        assert_eq!(ev.locals.len(), 1);
        assert_eq!(ev.refs.len(), 1);
        assert!(matches!(ev.mod_memo.get("m"), Some(Memo::Done(v)) if v.is_empty()));
        // The memo answers the next use: nothing is in progress, no cycle is reported.
        assert!(ev.module_instances("m").is_empty());

        ev.build_resources();
        assert_eq!(ev.shared.model.resources.len(), MAX_RESOURCES);
        assert_eq!(ev.depth, 3);
        let hits = ev.shared.meter.hits();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].limit, Limit::Resources);
        // Located at the module declaration, the first one cut.
        assert_eq!(&text[hits[0].loc.range()][..8], "module m");
    }
}
