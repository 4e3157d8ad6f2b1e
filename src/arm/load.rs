//! Template → model: resources (children, copy loops, conditions, symbolic names), dependencies,
//! nested deployments (inline and `templateLink.relativePath`), suppressions.

use super::eval::{Env, Frame, ParamSlot, literal, provider_tail};
use super::json::{self, JKind, JVal};
use crate::eval::limits::{Limit, MAX_DEPLOYMENT_NESTING, MAX_RESOURCES, Meter};
use crate::finding::Finding;
use crate::model::{
    Key, Model, Node, Object, Presence, Resource, Scope, Suppression, SuppressionScope, Sym,
    SymStr, Value, extension_resource_id, resource_id,
};
use crate::source::{FileId, Loc, SourceMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Largest copy loop expanded; a larger or unknown count gives one representative instance.
pub const MAX_COPY: i64 = 1000;
/// Most `templateLink.relativePath` files read for one unit (a template linking itself twice
/// would otherwise read 2^depth files).
pub const MAX_LINKED: usize = 256;

const DEPLOYMENTS: &str = "Microsoft.Resources/deployments";

pub struct Loader {
    pub sources: SourceMap,
    pub model: Model,
    pub findings: Vec<Finding>,
    /// The unit's evaluation meter, shared by every template level.
    pub meter: Rc<Meter>,
    linked_reads: usize,
}

/// One resource declaration in a template (before copy expansion).
struct Decl<'t> {
    j: &'t JVal,
    pointer: String,
    symbolic: Option<String>,
    parent: Option<usize>,
}

/// One deployed instance of a declaration.
struct Inst {
    decl: usize,
    env: Env,
    ty: String,
    name: Node,
    id: SymStr,
    presence: Presence,
    parent: Option<usize>,
    copy_name: Option<String>,
    deps: Vec<usize>,
    model_idx: Option<usize>,
    /// `ns/t1/n1/t2/n2` (the id after its last `/providers/`) and `ns/t1/t2/n1/n2`, for
    /// matching `dependsOn` entries written in other forms.
    tail: Option<SymStr>,
    type_name: Option<SymStr>,
}

/// How a Bicep module written as an ARM JSON template is deployed ([`Loader::load_module`]).
pub struct ModuleCall {
    /// The template's file (already in the sources) and its path (for `relativePath`).
    pub file: FileId,
    pub path: PathBuf,
    /// The scope the module deploys to (from its `scope:`, else the caller's).
    pub scope: Scope,
    /// The module's `params`, evaluated by the caller.
    pub inputs: HashMap<String, Node>,
    /// The model index of the module's `Microsoft.Resources/deployments` resource.
    pub parent_deployment: usize,
    pub presence: Presence,
    /// Deployment nesting depth of the template (its caller's plus one).
    pub depth: usize,
    /// JSON pointer prefix of its resources (the caller's convention for module contents).
    pub pointer: String,
}

/// Where a template came from: its file and path (for `relativePath`).
#[derive(Clone)]
struct Origin {
    pointer: String,
    path: Option<PathBuf>,
    parent_deployment: Option<usize>,
    presence: Presence,
    depth: usize,
}

fn ptr_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Resource-group, subscription, management-group or tenant deployment, from `$schema`.
pub fn schema_scope(template: &JVal, outer: &Scope) -> Scope {
    let schema = template
        .get("$schema")
        .and_then(JVal::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    if schema.contains("subscriptiondeploymenttemplate") {
        Scope {
            subscription: outer.subscription.clone(),
            resource_group: None,
        }
    } else if schema.contains("managementgroupdeploymenttemplate")
        || schema.contains("tenantdeploymenttemplate")
    {
        Scope {
            subscription: None,
            resource_group: None,
        }
    } else {
        outer.clone()
    }
}

impl Loader {
    pub fn new(sources: SourceMap) -> Self {
        Loader {
            sources,
            model: Model::default(),
            findings: Vec::new(),
            meter: Rc::new(Meter::new()),
            linked_reads: 0,
        }
    }

    /// A loader that adds to what another front end has built: a Bicep unit whose module is
    /// an ARM JSON template (see [`Loader::load_module`]). `meter` is the unit's.
    pub fn resume(
        sources: SourceMap,
        model: Model,
        findings: Vec<Finding>,
        meter: Rc<Meter>,
    ) -> Self {
        Loader {
            sources,
            model,
            findings,
            meter,
            linked_reads: 0,
        }
    }

    /// Evaluate `template` (file `call.file`, already in the sources) as the template of
    /// deployment `call.parent_deployment`, the way [`Loader::deployment`] evaluates a linked
    /// template: its own frame (inner scope), `call.inputs` as its parameter values, its
    /// resources joining the model under that deployment. Returns its outputs by name.
    pub fn load_module(&mut self, template: &JVal, call: ModuleCall) -> Vec<(String, Node)> {
        let scope = schema_scope(template, &call.scope);
        let mut frame = Frame::with_meter(call.file, scope, self.meter.clone());
        frame.declare(template);
        for (k, v) in &call.inputs {
            if let Some(slot) = frame.params.get_mut(&k.to_ascii_lowercase()) {
                *slot = ParamSlot::Given(v.clone());
            }
        }
        null_when_not_passed(&mut frame, template, |name| {
            call.inputs.keys().any(|k| k.eq_ignore_ascii_case(name))
        });
        let origin = Origin {
            pointer: call.pointer,
            path: Some(call.path),
            parent_deployment: Some(call.parent_deployment),
            presence: call.presence,
            depth: call.depth,
        };
        let (_, outputs) = self.template(&mut frame, template, &Env::default(), &origin);
        // Each output is `{type, value}` (what `reference(<deployment>).outputs` holds); a
        // module's output is the value.
        let Value::Object(o) = outputs.value else {
            return Vec::new();
        };
        o.entries
            .into_iter()
            .map(|(k, v)| {
                let value = v.get("value").cloned().unwrap_or_else(|| Node::null(v.loc));
                (k.name, value)
            })
            .collect()
    }

    fn error(&mut self, loc: Loc, message: String) {
        self.findings
            .push(Finding::new(crate::rules::meta("ARM000"), loc, message));
    }

    /// Load the top-level template (file 0) with parameter values.
    pub fn load_root(
        &mut self,
        template: &JVal,
        path: Option<&Path>,
        given: HashMap<String, Node>,
    ) {
        let scope = schema_scope(template, &Scope::resource_group_deployment());
        let mut frame = Frame::with_meter(0, scope, self.meter.clone());
        frame.top_level = true;
        frame.declare(template);
        for (k, v) in given {
            if let Some(slot) = frame.params.get_mut(&k) {
                *slot = ParamSlot::Given(v);
            }
        }
        if let Some(s) = self.suppression(&frame, template, SuppressionScope::All) {
            self.model.suppressions.push(s);
        }
        let origin = Origin {
            pointer: String::new(),
            path: path.map(Path::to_path_buf),
            parent_deployment: None,
            presence: Presence::Always,
            depth: 0,
        };
        self.template(&mut frame, template, &Env::default(), &origin);
    }

    /// `metadata.acr-cmk` on a template or resource.
    fn suppression(&self, frame: &Frame, j: &JVal, scope: SuppressionScope) -> Option<Suppression> {
        let (k, v) = j.get("metadata")?.entry("acr-cmk")?;
        let codes = match v.get("ignore").map(|i| &i.kind) {
            Some(JKind::Arr(a)) => a
                .iter()
                .filter_map(JVal::as_str)
                .map(|c| c.trim().to_ascii_uppercase())
                .collect(),
            Some(JKind::Str(s)) => vec![s.trim().to_ascii_uppercase()],
            _ => Vec::new(),
        };
        let reason = v
            .get("reason")
            .and_then(JVal::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from);
        Some(Suppression {
            codes,
            reason,
            scope,
            loc: Loc::new(frame.file, k.span.start as usize, v.span.end as usize),
        })
    }

    /// Process one template level; returns the model indexes it declared and its outputs.
    fn template<'t>(
        &mut self,
        frame: &mut Frame<'t>,
        template: &'t JVal,
        env: &Env,
        origin: &Origin,
    ) -> (Vec<usize>, Node) {
        let mut decls = Vec::new();
        if let Some(res) = template.get("resources") {
            collect_decls(
                res,
                &format!("{}/resources", origin.pointer),
                None,
                &mut decls,
            );
        }
        let mut insts = self.expand(frame, &decls, env, origin);
        for inst in &insts {
            if let Some(s) = &decls[inst.decl].symbolic {
                frame.names.by_name.push((SymStr::lit(s), inst.id.clone()));
            }
            if let Some(n) = inst.name.value.to_symstr() {
                frame.names.by_name.push((n, inst.id.clone()));
            }
        }
        let frame: &Frame<'t> = frame;
        for i in 0..insts.len() {
            insts[i].deps = self.resolve_deps(frame, &decls, &insts, i);
        }
        let mut contained = Vec::new();
        let mut implicit: Vec<Vec<SymStr>> = vec![Vec::new(); insts.len()];
        for i in topo_order(&insts) {
            if self.model.resources.len() >= MAX_RESOURCES {
                let at = frame.loc(decls[insts[i].decl].j.span);
                self.meter.hit(Limit::Resources, at);
                break;
            }
            let (idx, referenced) = self.build(frame, &decls, &insts[i], origin);
            insts[i].model_idx = Some(idx);
            contained.push(idx);
            implicit[i] = referenced;
        }
        // `reference('name')` of a resource of this template is an implicit dependency.
        for (i, ids) in implicit.iter().enumerate() {
            for id in ids {
                for k in 0..insts.len() {
                    if k != i && insts[k].id.same(id) && !insts[i].deps.contains(&k) {
                        insts[i].deps.push(k);
                    }
                }
            }
        }
        for inst in &insts {
            let Some(idx) = inst.model_idx else { continue };
            // `deps` holds no duplicates; the implicit parent edge may repeat one of them.
            let mut deps: Vec<usize> = inst
                .deps
                .iter()
                .filter_map(|d| insts[*d].model_idx)
                .filter(|d| *d != idx)
                .collect();
            if let Some(p) = inst.parent.and_then(|p| insts[p].model_idx)
                && !deps.contains(&p)
            {
                deps.push(p);
            }
            self.model.resources[idx].depends_on = deps;
        }
        // Only a nested deployment's outputs can be referenced (by its parent).
        let outputs = match template.get("outputs") {
            Some(o) if origin.parent_deployment.is_some() => frame.outputs(env, o),
            _ => Node::null(frame.loc(template.span)),
        };
        (contained, outputs)
    }

    /// Expand declarations into instances: conditions, copy loops, full types and names, ids.
    fn expand(&mut self, frame: &Frame, decls: &[Decl], env: &Env, origin: &Origin) -> Vec<Inst> {
        let mut insts: Vec<Inst> = Vec::new();
        for (di, d) in decls.iter().enumerate() {
            let parents: Vec<Option<usize>> = match d.parent {
                None => vec![None],
                Some(p) => (0..insts.len())
                    .filter(|i| insts[*i].decl == p)
                    .map(Some)
                    .collect(),
            };
            for parent in parents {
                let (penv, ppresence) = match parent {
                    Some(p) => (insts[p].env.clone(), insts[p].presence),
                    None => (env.clone(), origin.presence),
                };
                let copy = d.j.get("copy").filter(|c| c.as_obj().is_some());
                let copy_name = copy
                    .and_then(|c| c.get("name"))
                    .and_then(JVal::as_str)
                    .map(String::from);
                let count =
                    copy.map(|c| c.get("count").and_then(|n| frame.value(&penv, n).as_i64()));
                let loop_name = copy_name.as_deref().unwrap_or("");
                let iterations: Vec<(Env, Presence)> = match count {
                    None => vec![(penv.clone(), ppresence)],
                    Some(Some(n)) if (0..=MAX_COPY).contains(&n) => (0..n)
                        .map(|i| (penv.with_loop(loop_name, Some(i), true), ppresence))
                        .collect(),
                    // Known to exist, too many to expand: one instance stands for all.
                    Some(Some(n)) if n > MAX_COPY => {
                        vec![(penv.with_loop(loop_name, None, true), ppresence)]
                    }
                    // Unknown (or invalid) count: maybe none.
                    Some(_) => vec![(penv.with_loop(loop_name, None, true), Presence::IfDeployed)],
                };
                for (ienv, presence) in iterations {
                    if insts.len() >= MAX_RESOURCES {
                        self.meter.hit(Limit::Resources, frame.loc(d.j.span));
                        return insts;
                    }
                    let presence = match d.j.get("condition").map(|c| frame.value(&ienv, c).value) {
                        None | Some(Value::Bool(true)) => presence,
                        Some(Value::Bool(false)) => continue,
                        Some(_) => Presence::IfDeployed,
                    };
                    let (ty, name) = full_type_and_name(frame, d, &ienv, parent.map(|p| &insts[p]));
                    let id = self.instance_id(frame, d.j, &ienv, &ty, &name);
                    let type_name = name.value.to_symstr().map(|n| {
                        let mut tn = SymStr::lit(&ty);
                        tn.push_lit("/");
                        tn.append(&n);
                        tn
                    });
                    insts.push(Inst {
                        tail: provider_tail(&id),
                        type_name,
                        decl: di,
                        env: ienv,
                        ty,
                        name,
                        id,
                        presence,
                        parent,
                        copy_name: copy_name.clone(),
                        deps: Vec::new(),
                        model_idx: None,
                    });
                }
            }
        }
        insts
    }

    /// The canonical id: an extension resource's id hangs off its `scope`; `subscriptionId` /
    /// `resourceGroup` on the resource (existing resources, deployments) change the scope.
    fn instance_id(&self, frame: &Frame, j: &JVal, env: &Env, ty: &str, name: &Node) -> SymStr {
        let names = match name.value.to_symstr() {
            Some(n) => n.split('/'),
            None => vec![SymStr::sym(Sym::Opaque("name not a string".into()))],
        };
        if let Some(scope) = j.get("scope")
            && let Some(s) = frame.value(env, scope).value.to_symstr()
        {
            let scope_id = if s.lit_prefix().starts_with('/') {
                s
            } else {
                relative_to_id(frame.target_scope(), &s)
            };
            return extension_resource_id(&scope_id, ty, &names);
        }
        resource_id(&deployment_scope(frame, j, env), ty, &names)
    }

    fn resolve_deps(&self, frame: &Frame, decls: &[Decl], insts: &[Inst], i: usize) -> Vec<usize> {
        let inst = &insts[i];
        let Some(deps) = decls[inst.decl].j.get("dependsOn").and_then(JVal::as_arr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = vec![false; insts.len()];
        for d in deps {
            let v = frame.value(&inst.env, d);
            let Some(target) = v.value.to_symstr() else {
                continue;
            };
            let tail = provider_tail(&target);
            for (k, other) in insts.iter().enumerate() {
                if k != i
                    && !seen[k]
                    && dep_matches(&target, tail.as_ref(), other, &decls[other.decl])
                {
                    seen[k] = true;
                    out.push(k);
                }
            }
        }
        out
    }

    /// Evaluate one instance into a model resource (and its nested deployment, if any).
    /// Returns the model index and the ids the body `reference()`d by name.
    fn build(
        &mut self,
        frame: &Frame,
        decls: &[Decl],
        inst: &Inst,
        origin: &Origin,
    ) -> (usize, Vec<SymStr>) {
        let d = &decls[inst.decl];
        let is_deployment = inst.ty.eq_ignore_ascii_case(DEPLOYMENTS);
        frame.referenced.borrow_mut().clear();
        let body = self.body(frame, d.j, &inst.env, is_deployment);
        let referenced = std::mem::take(&mut *frame.referenced.borrow_mut());
        let loc =
            d.j.get("type")
                .map(|t| frame.loc(t.span))
                .unwrap_or_else(|| frame.loc(d.j.span));
        let resource = Resource {
            ty: inst.ty.clone(),
            api_version: body
                .get("apiVersion")
                .and_then(|a| a.as_str())
                .map(String::from),
            name: inst.name.clone(),
            id: inst.id.clone(),
            symbolic_name: d.symbolic.clone(),
            existing: body
                .get("existing")
                .and_then(Node::as_bool)
                .unwrap_or(false),
            presence: inst.presence,
            depends_on: Vec::new(),
            contains: Vec::new(),
            parent_deployment: origin.parent_deployment,
            body,
            loc,
            pointer: d.pointer.clone(),
        };
        let idx = self.model.resources.len();
        self.model.resources.push(resource);
        if let Some(s) = self.suppression(frame, d.j, SuppressionScope::Resource(idx)) {
            self.model.suppressions.push(s);
        }
        if is_deployment {
            self.deployment(frame, d, inst, idx, origin);
        }
        (idx, referenced)
    }

    fn body(&self, frame: &Frame, j: &JVal, env: &Env, is_deployment: bool) -> Node {
        let mut obj = Object::default();
        for (k, v) in j.as_obj().unwrap_or_default() {
            let lk = k.name.to_ascii_lowercase();
            if matches!(
                lk.as_str(),
                "resources" | "copy" | "dependson" | "condition"
            ) {
                continue;
            }
            let value = if is_deployment && lk == "properties" {
                // The inner template is evaluated in its own frame, not as part of the body.
                let mut props = Object::default();
                for (pk, pv) in v.as_obj().unwrap_or_default() {
                    if pk.name.eq_ignore_ascii_case("template") {
                        continue;
                    }
                    props.insert(
                        Key {
                            name: pk.name.clone(),
                            loc: frame.loc(pk.span),
                        },
                        frame.value(env, pv),
                    );
                }
                Node::new(Value::Object(props), frame.loc(v.span))
            } else {
                frame.value(env, v)
            };
            obj.insert(
                Key {
                    name: k.name.clone(),
                    loc: frame.loc(k.span),
                },
                value,
            );
        }
        Node::new(Value::Object(obj), frame.loc(j.span))
    }

    /// A nested deployment: evaluate its template (inline or linked) in its own frame.
    fn deployment(&mut self, frame: &Frame, d: &Decl, inst: &Inst, idx: usize, origin: &Origin) {
        if origin.depth >= MAX_DEPLOYMENT_NESTING {
            self.meter.hit(Limit::Nesting, frame.loc(d.j.span));
            return;
        }
        let Some(props) = d.j.get("properties") else {
            return;
        };
        let inner_scope = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(JVal::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let mut linked_path = None;
        let linked: Option<(FileId, JVal)> = match props.get("template") {
            Some(_) => None,
            None => {
                let Some(rel) = props
                    .get("templateLink")
                    .and_then(|l| l.get("relativePath"))
                else {
                    return;
                };
                let (file, parsed, path) = match self.linked(frame, &inst.env, rel, origin) {
                    Some(x) => x,
                    None => return,
                };
                linked_path = Some(path);
                Some((file, parsed))
            }
        };
        let (file, template): (FileId, &JVal) = match (&linked, props.get("template")) {
            (Some((f, t)), _) => (*f, t),
            (None, Some(t)) => (frame.file, t),
            _ => return,
        };
        let scope = schema_scope(template, &deployment_scope(frame, d.j, &inst.env));
        let pointer = if linked.is_some() {
            String::new()
        } else {
            format!("{}/properties/template", d.pointer)
        };
        let child = Origin {
            pointer,
            path: linked_path.or_else(|| origin.path.clone()),
            parent_deployment: Some(idx),
            presence: inst.presence,
            depth: origin.depth + 1,
        };
        let (contained, outputs) = if inner_scope || linked.is_some() {
            let mut inner = Frame::with_meter(file, scope, self.meter.clone());
            inner.declare(template);
            let passed = props
                .get("parameters")
                .and_then(JVal::as_obj)
                .unwrap_or_default();
            for (k, v) in passed {
                let key = k.name.to_ascii_lowercase();
                let Some(slot) = inner.params.get_mut(&key) else {
                    continue;
                };
                if let Some(val) = v.get("value") {
                    *slot = ParamSlot::Given(frame.value(&inst.env, val));
                } else if v.get("reference").is_some() {
                    *slot = ParamSlot::Unknown;
                }
            }
            null_when_not_passed(&mut inner, template, |name| {
                passed
                    .iter()
                    .any(|(p, _)| p.name.eq_ignore_ascii_case(name))
            });
            self.template(&mut inner, template, &Env::default(), &child)
        } else {
            let mut outer = frame.outer_copy(scope);
            self.template(&mut outer, template, &inst.env, &child)
        };
        self.model.resources[idx].contains = contained;
        let mut out = frame.outputs.borrow_mut();
        if let Some(s) = &d.symbolic {
            out.push((SymStr::lit(s), outputs.clone()));
        }
        if let Some(n) = inst.name.value.to_symstr() {
            out.push((n, outputs.clone()));
        }
        out.push((inst.id.clone(), outputs));
    }

    /// Read and parse a `templateLink.relativePath` file.
    fn linked(
        &mut self,
        frame: &Frame,
        env: &Env,
        rel: &JVal,
        origin: &Origin,
    ) -> Option<(FileId, JVal, PathBuf)> {
        let loc = frame.loc(rel.span);
        let Some(rel_path) = frame.value(env, rel).as_str().map(String::from) else {
            self.error(loc, "linked template path is not known".into());
            return None;
        };
        let Some(base) = origin.path.as_ref().and_then(|p| p.parent()) else {
            self.error(
                loc,
                format!("cannot resolve linked template `{rel_path}` without a template path"),
            );
            return None;
        };
        self.linked_reads += 1;
        if self.linked_reads > MAX_LINKED {
            if self.linked_reads == MAX_LINKED + 1 {
                self.error(
                    loc,
                    format!("more than {MAX_LINKED} linked templates; not following more"),
                );
            }
            return None;
        }
        let path = base.join(&rel_path);
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    self.error(
                        loc,
                        format!("linked template `{rel_path}` is not valid UTF-8"),
                    );
                    return None;
                }
            },
            Err(e) => {
                self.error(
                    loc,
                    format!("linked template `{rel_path}` cannot be read: {e}"),
                );
                return None;
            }
        };
        // Displayed relative to the file that links it, like the command-line name.
        let display = Path::new(&self.sources.get(frame.file).name)
            .parent()
            .map(|p| p.join(&rel_path).display().to_string())
            .unwrap_or_else(|| rel_path.clone());
        let file = self.sources.add(display, text.clone());
        match json::parse(&text) {
            Ok(j) => Some((file, j, path)),
            Err(e) => {
                self.findings.push(super::parse_error(file, &text, &e));
                None
            }
        }
    }
}

/// Collect resource declarations (array or `languageVersion 2.0` object), children after their
/// parent.
fn collect_decls<'t>(res: &'t JVal, pointer: &str, parent: Option<usize>, out: &mut Vec<Decl<'t>>) {
    let items: Vec<(String, Option<String>, &JVal)> = match &res.kind {
        JKind::Arr(a) => a
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("{pointer}/{i}"), None, r))
            .collect(),
        JKind::Obj(m) => m
            .iter()
            .map(|(k, r)| {
                (
                    format!("{pointer}/{}", ptr_escape(&k.name)),
                    Some(k.name.clone()),
                    r,
                )
            })
            .collect(),
        _ => return,
    };
    for (p, symbolic, j) in items {
        if j.as_obj().is_none() {
            continue;
        }
        let me = out.len();
        out.push(Decl {
            j,
            pointer: p.clone(),
            symbolic,
            parent,
        });
        if let Some(children) = j.get("resources") {
            collect_decls(children, &format!("{p}/resources"), Some(me), out);
        }
    }
}

fn full_type_and_name(frame: &Frame, d: &Decl, env: &Env, parent: Option<&Inst>) -> (String, Node) {
    let ty =
        d.j.get("type")
            .and_then(JVal::as_str)
            .unwrap_or("")
            .to_string();
    let name = match d.j.get("name") {
        Some(n) => frame.value(env, n),
        None => Node::new(Value::opaque("resource without name"), frame.loc(d.j.span)),
    };
    let Some(parent) = parent else {
        return (ty, name);
    };
    if ty.contains('/') {
        return (ty, name);
    }
    let full_ty = format!("{}/{}", parent.ty, ty);
    let mut full = parent
        .name
        .value
        .to_symstr()
        .unwrap_or_else(|| SymStr::sym(Sym::Opaque("parent name".into())));
    full.push_lit("/");
    match name.value.to_symstr() {
        Some(n) => full.append(&n),
        None => full.push_sym(Sym::Opaque("name not a string".into())),
    }
    (full_ty, Node::new(Value::from_symstr(full), name.loc))
}

/// A nested template's parameter that the deployment does not pass and that has no default is
/// null when declared `nullable` (languageVersion 2.0, Bicep's `param x T?`): the caller is
/// known, so nothing else can supply it (unlike a top-level parameter, which stays unknown).
fn null_when_not_passed(inner: &mut Frame, template: &JVal, is_passed: impl Fn(&str) -> bool) {
    for (k, decl) in template
        .get("parameters")
        .and_then(JVal::as_obj)
        .unwrap_or_default()
    {
        if is_passed(&k.name) {
            continue;
        }
        let nullable = matches!(
            decl.get("nullable").map(|n| &n.kind),
            Some(JKind::Bool(true))
        );
        let loc = inner.loc(decl.span);
        let Some(slot) = inner.params.get_mut(&k.name.to_ascii_lowercase()) else {
            continue;
        };
        if nullable && decl.get("defaultValue").is_none() {
            *slot = ParamSlot::Given(Node::null(loc));
        }
    }
}

/// The scope a resource lives in: the frame's, changed by `subscriptionId` / `resourceGroup`.
fn deployment_scope(frame: &Frame, j: &JVal, env: &Env) -> Scope {
    let mut scope = frame.target_scope().clone();
    let sub = j
        .get("subscriptionId")
        .map(|s| frame.value(env, s).value.to_symstr());
    let rg = j
        .get("resourceGroup")
        .map(|s| frame.value(env, s).value.to_symstr());
    if let Some(sub) = sub {
        scope.subscription = sub.or_else(|| Some(SymStr::sym(Sym::Opaque("subscription".into()))));
        if rg.is_none() {
            scope.resource_group = None;
        }
    }
    if let Some(rg) = rg {
        scope.resource_group =
            rg.or_else(|| Some(SymStr::sym(Sym::Opaque("resource group".into()))));
        if scope.subscription.is_none() {
            scope.subscription = Some(SymStr::sym(Sym::Expr(
                "subscription().subscriptionId".into(),
            )));
        }
    }
    scope
}

/// `Microsoft.KeyVault/vaults/kv` (type/name form of a scope) → canonical id.
fn relative_to_id(scope: &Scope, s: &SymStr) -> SymStr {
    let segs = s.split('/');
    if segs.len() < 3 || segs.len().is_multiple_of(2) {
        return SymStr::sym(Sym::Opaque("scope".into()));
    }
    let mut ty = String::new();
    let mut names = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if i == 0 || i % 2 == 1 {
            let Some(l) = seg.as_lit() else {
                return SymStr::sym(Sym::Opaque("scope type".into()));
            };
            if i > 0 {
                ty.push('/');
            }
            ty.push_str(l);
        } else {
            names.push(seg.clone());
        }
    }
    resource_id(scope, &ty, &names)
}

fn dep_matches(target: &SymStr, target_tail: Option<&SymStr>, inst: &Inst, decl: &Decl) -> bool {
    if let Some(lit) = target.as_lit()
        && !lit.contains('/')
    {
        return decl
            .symbolic
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(lit))
            || inst
                .copy_name
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(lit))
            || inst
                .name
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(lit));
    }
    if inst.id.same(target) {
        return true;
    }
    if let Some(tail) = &inst.tail {
        // `…/providers/ns/type/name` with another scope prefix, or `ns/vaults/kv/keys/k`.
        if tail.same(target) || target_tail.is_some_and(|t| t.same(tail)) {
            return true;
        }
    }
    if inst.type_name.as_ref().is_some_and(|tn| tn.same(target)) {
        return true;
    }
    // A plain name with unknown parts.
    match &inst.name.value {
        Value::Sym(n) => n.same(target),
        _ => false,
    }
}

/// Dependencies first (ARM deploys in dependency order); declaration order otherwise. Cycles are
/// broken at the point they are met.
fn topo_order(insts: &[Inst]) -> Vec<usize> {
    let mut state = vec![0u8; insts.len()];
    let mut out = Vec::with_capacity(insts.len());
    for start in 0..insts.len() {
        let mut stack = vec![(start, 0usize)];
        while let Some((i, next)) = stack.pop() {
            if next == 0 {
                if state[i] != 0 {
                    continue;
                }
                state[i] = 1;
            }
            let mut deps = insts[i].deps.iter().copied().chain(insts[i].parent);
            if let Some(d) = deps.nth(next) {
                stack.push((i, next + 1));
                if state[d] == 0 {
                    stack.push((d, 0));
                }
            } else {
                state[i] = 2;
                out.push(i);
            }
        }
    }
    out
}

/// Parameter values from a parameters file: `{ "parameters": { "x": { "value": … } } }`.
pub fn parameter_values(file: FileId, j: &JVal) -> HashMap<String, Node> {
    let mut out = HashMap::new();
    for (k, v) in j
        .get("parameters")
        .and_then(JVal::as_obj)
        .unwrap_or_default()
    {
        let node = match v.get("value") {
            Some(val) => literal(file, val),
            None if v.get("reference").is_some() => Node::new(
                Value::sym(Sym::Param(k.name.clone())),
                Loc::new(file, v.span.start as usize, v.span.end as usize),
            ),
            None => continue,
        };
        out.insert(k.name.to_ascii_lowercase(), node);
    }
    out
}
