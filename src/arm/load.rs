//! Template → model: resources (children, copy loops, conditions, symbolic names), dependencies,
//! nested deployments (inline and `templateLink.relativePath`), suppressions.

use super::eval::{Env, Frame, ParamSlot, literal, provider_tail};
use super::json::{self, JKind, JVal};
use crate::eval::limits::{Limit, MAX_DEPLOYMENT_NESTING, MAX_RESOURCES, Meter};
use crate::finding::Finding;
use crate::model::{
    Key, Model, Node, Object, Presence, Resource, Scope, SuppressedCode, Suppression,
    SuppressionScope, Sym, SymStr, Unseen, Value, extension_resource_id, resource_id, same_key,
};
use crate::placeholders::Placeholders;
use crate::read::Root;
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
    /// Linked templates are read only inside it (REF001 otherwise).
    pub root: Root,
    /// The unit's evaluation meter, shared by every template level.
    pub meter: Rc<Meter>,
    linked_reads: usize,
    /// A linked template was refused (REF001): what it deploys is not known.
    pub incomplete: bool,
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
            root: Root::nothing(),
            meter: Rc::new(Meter::new()),
            linked_reads: 0,
            incomplete: false,
        }
    }

    /// A loader that adds to what another front end has built: a Bicep unit whose module is
    /// an ARM JSON template (see [`Loader::load_module`]). `meter` is the unit's.
    /// Linked templates inside it are read only inside `root`, the unit's lint root.
    pub fn resume(
        sources: SourceMap,
        model: Model,
        findings: Vec<Finding>,
        meter: Rc<Meter>,
        root: Root,
    ) -> Self {
        Loader {
            sources,
            model,
            findings,
            meter,
            linked_reads: 0,
            incomplete: false,
            root,
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

    /// Load the top-level template (file 0) with parameter values (placeholders already
    /// replaced); `placeholders` apply to its parameters' defaults.
    pub fn load_root(
        &mut self,
        template: &JVal,
        path: Option<&Path>,
        given: HashMap<String, Node>,
        placeholders: &Placeholders,
    ) {
        let scope = schema_scope(template, &Scope::resource_group_deployment());
        let mut frame = Frame::with_meter(0, scope, self.meter.clone());
        frame.top_level = true;
        frame.placeholders = Some(placeholders.clone());
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

    /// `metadata.acr-cmk` on a template or resource. A block that names no rule suppresses
    /// nothing; it, an entry that is not a code and a key other than `ignore` / `reason` are
    /// SUP002 findings (unknown codes are checked by the lint driver, for every front end).
    fn suppression(
        &mut self,
        frame: &Frame,
        j: &JVal,
        scope: SuppressionScope,
    ) -> Option<Suppression> {
        let (k, v) = j.get("metadata")?.entry("acr-cmk")?;
        let loc = Loc::new(frame.file, k.span.start as usize, v.span.end as usize);
        let mut codes = Vec::new();
        let code = |item: &JVal, s: &str| SuppressedCode {
            code: s.trim().to_ascii_uppercase(),
            loc: frame.loc(item.span),
        };
        match v.get("ignore") {
            Some(list) => match &list.kind {
                JKind::Arr(items) => {
                    for item in items {
                        match item.as_str() {
                            Some(s) => codes.push(code(item, s)),
                            None => self.malformed_suppression(
                                frame.loc(item.span),
                                "an `ignore` entry must be a rule code such as \"CMK011\"",
                            ),
                        }
                    }
                    if items.is_empty() {
                        self.malformed_suppression(
                            frame.loc(list.span),
                            "`ignore` lists no rule, so nothing is suppressed",
                        );
                    }
                }
                JKind::Str(s) => codes.push(code(list, s)),
                _ => self.malformed_suppression(
                    frame.loc(list.span),
                    "`ignore` must be a list of rule codes such as [\"CMK011\"]",
                ),
            },
            None => self.malformed_suppression(
                frame.loc(k.span),
                "`metadata.acr-cmk` has no `ignore` list, so nothing is suppressed",
            ),
        }
        for (key, _) in v.as_obj().unwrap_or_default() {
            if !["ignore", "reason"]
                .iter()
                .any(|n| key.name.eq_ignore_ascii_case(n))
            {
                let hint = crate::rules::catalog::closest(&key.name, ["ignore", "reason"])
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                self.malformed_suppression(
                    frame.loc(key.span),
                    &format!(
                        "unknown key `{}` in `metadata.acr-cmk`{hint}: only `ignore` and `reason` are read",
                        key.name
                    ),
                );
            }
        }
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
            loc,
            shared: false,
        })
    }

    fn malformed_suppression(&mut self, loc: Loc, message: &str) {
        self.findings.push(
            Finding::new(crate::rules::meta("SUP002"), loc, message).help(
                "write \"metadata\": { \"acr-cmk\": { \"ignore\": [\"CMK011\"], \"reason\": \"why it does not apply\" } }",
            ),
        );
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
        let aliases = Aliases::new(&decls, &insts);
        for i in 0..insts.len() {
            insts[i].deps = self.resolve_deps(frame, &decls, &insts, &aliases, i);
        }
        let mut contained = Vec::new();
        let mut implicit: Vec<Vec<SymStr>> = vec![Vec::new(); insts.len()];
        for i in topo_order(&insts) {
            if self.model.resources.len() >= MAX_RESOURCES {
                let at = frame.loc(decls[insts[i].decl].j.span);
                self.meter.hit(Limit::Resources, at);
                if let Some(d) = origin.parent_deployment {
                    self.model.resources[d].unseen = Some(Unseen::NotFollowed(format!(
                        "cut short after {MAX_RESOURCES} resources"
                    )));
                }
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
                for &k in aliases.with_id(id) {
                    if k != i && !insts[i].deps.contains(&k) {
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

    fn resolve_deps(
        &self,
        frame: &Frame,
        decls: &[Decl],
        insts: &[Inst],
        aliases: &Aliases,
        i: usize,
    ) -> Vec<usize> {
        let inst = &insts[i];
        let Some(deps) = decls[inst.decl].j.get("dependsOn").and_then(JVal::as_arr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // A set beside the list: `dependsOn: ["loop"]` names a whole copy loop at once.
        let mut seen = std::collections::HashSet::new();
        for d in deps {
            let v = frame.value(&inst.env, d);
            let Some(target) = v.value.to_symstr() else {
                continue;
            };
            for k in aliases.matching(&target) {
                if k != i && seen.insert(k) {
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
            unseen: None,
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

    /// A nested deployment: evaluate its template (inline or linked) in its own frame. A
    /// template it cannot see (a remote link, an expression, an unreadable file, past a limit)
    /// is recorded on the deployment ([`Resource::unseen`]).
    fn deployment(&mut self, frame: &Frame, d: &Decl, inst: &Inst, idx: usize, origin: &Origin) {
        if let Err(unseen) = self.follow_deployment(frame, d, inst, idx, origin) {
            self.model.resources[idx].unseen = Some(unseen);
        }
    }

    fn follow_deployment(
        &mut self,
        frame: &Frame,
        d: &Decl,
        inst: &Inst,
        idx: usize,
        origin: &Origin,
    ) -> Result<(), Unseen> {
        if origin.depth >= MAX_DEPLOYMENT_NESTING {
            self.meter.hit(Limit::Nesting, frame.loc(d.j.span));
            return Err(Unseen::NotFollowed(format!(
                "deployments nested more than {MAX_DEPLOYMENT_NESTING} deep"
            )));
        }
        // Neither `template` nor `templateLink`: ARM rejects it; nothing is deployed.
        let Some(props) = d.j.get("properties") else {
            return Ok(());
        };
        let inner_scope = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(JVal::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let mut linked_path = None;
        let linked: Option<(FileId, JVal)> = match props.get("template") {
            Some(t) if t.as_obj().is_some() => None,
            Some(t) => {
                return Err(Unseen::Unknown(format!(
                    "`template` is {}",
                    short_text(t.as_str().unwrap_or("not an object"))
                )));
            }
            None => {
                let Some(link) = props.get("templateLink") else {
                    return Ok(());
                };
                let Some(rel) = link.get("relativePath") else {
                    return Err(remote_link(link));
                };
                let at = format!("{}/properties/templateLink/relativePath", d.pointer);
                let (file, parsed, path) = self.linked(frame, &inst.env, rel, origin, &at)?;
                linked_path = Some(path);
                Some((file, parsed))
            }
        };
        let (file, template): (FileId, &JVal) = match (&linked, props.get("template")) {
            (Some((f, t)), _) => (*f, t),
            (None, Some(t)) => (frame.file, t),
            _ => return Ok(()),
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
        Ok(())
    }

    /// Read and parse a `templateLink.relativePath` file. A file that cannot be read or parsed
    /// is also an ARM000 finding (the deployment would fail); a path the tool cannot evaluate
    /// is not (it may be fine at deployment time).
    fn linked(
        &mut self,
        frame: &Frame,
        env: &Env,
        rel: &JVal,
        origin: &Origin,
        pointer: &str,
    ) -> Result<(FileId, JVal, PathBuf), Unseen> {
        let loc = frame.loc(rel.span);
        let Some(rel_path) = frame.value(env, rel).as_str().map(String::from) else {
            return Err(Unseen::Unknown(format!(
                "relativePath {}",
                short_text(rel.as_str().unwrap_or("is not a string"))
            )));
        };
        let Some(base) = origin.path.as_ref().and_then(|p| p.parent()) else {
            let why =
                format!("cannot resolve linked template `{rel_path}` without a template path");
            self.error(loc, why.clone());
            return Err(Unseen::Unreadable(why));
        };
        self.linked_reads += 1;
        if self.linked_reads > MAX_LINKED {
            if self.linked_reads == MAX_LINKED + 1 {
                self.error(
                    loc,
                    format!("more than {MAX_LINKED} linked templates; not following more"),
                );
            }
            return Err(Unseen::NotFollowed(format!(
                "more than {MAX_LINKED} linked templates"
            )));
        }
        let (path, text) = match self.root.read_reference(base, &rel_path) {
            Ok(read) => read,
            Err(why) => {
                self.findings.push(
                    crate::rules::unreadable_reference::finding(loc, &rel_path, &why)
                        .pointer(pointer),
                );
                self.incomplete = true;
                return Err(Unseen::Unreadable(format!(
                    "linked template `{rel_path}` is not read: {why}"
                )));
            }
        };
        // Displayed relative to the file that links it, like the command-line name.
        let display = Path::new(&self.sources.get(frame.file).name)
            .parent()
            .map(|p| p.join(&rel_path).display().to_string())
            .unwrap_or_else(|| rel_path.clone());
        let file = self.sources.add(display, text.clone());
        match json::parse(&text) {
            Ok(j) => Ok((file, j, path)),
            Err(e) => {
                self.findings.push(super::parse_error(file, &text, &e));
                Err(Unseen::Unreadable(format!(
                    "linked template `{rel_path}` is not valid JSON"
                )))
            }
        }
    }
}

/// A template ARM fetches at deployment time: `templateLink.uri` or `templateLink.id` (a
/// template spec), as written.
fn remote_link(link: &JVal) -> Unseen {
    let written = |key: &str| link.get(key).map(|v| short_text(v.as_str().unwrap_or("…")));
    match (written("uri"), written("id")) {
        (Some(uri), _) => Unseen::Remote(format!("templateLink.uri {uri}")),
        (None, Some(id)) => Unseen::Remote(format!("template spec {id}")),
        (None, None) => Unseen::Unknown("templateLink has no uri, id or relativePath".into()),
    }
}

/// Source text quoted in a message, cut to a readable length.
fn short_text(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        format!("'{text}'")
    } else {
        let head: String = text.chars().take(MAX - 1).collect();
        format!("'{head}…'")
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

/// The names a `dependsOn` entry may use for each instance of one template level, indexed, so
/// that resolving the dependencies of n instances is not n² comparisons (a copy loop of 1000
/// registries each depending on its identity and grant).
///
/// An entry denotes an instance when it is:
/// - a plain word (no `/`): its symbolic name, copy-loop name or literal name, without case;
/// - otherwise the [same](SymStr::same) as its canonical id, the id's provider tail
///   (`ns/t1/n1/t2/n2`, for an id written with another scope prefix), its `type/name`, or its
///   symbolic name; or an id whose provider tail is the instance's tail.
struct Aliases {
    words: HashMap<String, Vec<usize>>,
    /// By [`same_key`]: ids, tails, `type/name`s and symbolic names.
    denoted: HashMap<String, Vec<usize>>,
    tails: HashMap<String, Vec<usize>>,
    ids: HashMap<String, Vec<usize>>,
}

impl Aliases {
    fn new(decls: &[Decl], insts: &[Inst]) -> Aliases {
        let mut a = Aliases {
            words: HashMap::new(),
            denoted: HashMap::new(),
            tails: HashMap::new(),
            ids: HashMap::new(),
        };
        let add = |map: &mut HashMap<String, Vec<usize>>, key: Option<String>, k: usize| {
            if let Some(key) = key {
                let list = map.entry(key).or_default();
                if list.last() != Some(&k) {
                    list.push(k);
                }
            }
        };
        let word = |s: &str| Some(s.to_ascii_lowercase());
        for (k, inst) in insts.iter().enumerate() {
            add(
                &mut a.words,
                decls[inst.decl].symbolic.as_deref().and_then(word),
                k,
            );
            add(&mut a.words, inst.copy_name.as_deref().and_then(word), k);
            add(&mut a.words, inst.name.as_str().and_then(word), k);
            add(&mut a.ids, same_key(&inst.id), k);
            add(&mut a.denoted, same_key(&inst.id), k);
            if let Some(tail) = &inst.tail {
                add(&mut a.denoted, same_key(tail), k);
                add(&mut a.tails, same_key(tail), k);
            }
            if let Some(tn) = &inst.type_name {
                add(&mut a.denoted, same_key(tn), k);
            }
            if let Value::Sym(n) = &inst.name.value {
                add(&mut a.denoted, same_key(n), k);
            }
        }
        a
    }

    /// The instances a `dependsOn` entry denotes, in declaration order.
    fn matching(&self, target: &SymStr) -> Vec<usize> {
        fn get(map: &HashMap<String, Vec<usize>>, key: Option<String>) -> &[usize] {
            key.and_then(|k| map.get(&k)).map_or(&[][..], Vec::as_slice)
        }
        if let Some(lit) = target.as_lit()
            && !lit.contains('/')
        {
            return get(&self.words, Some(lit.to_ascii_lowercase())).to_vec();
        }
        let tail = provider_tail(target);
        let mut out: Vec<usize> = get(&self.denoted, same_key(target)).to_vec();
        out.extend_from_slice(get(&self.tails, tail.as_ref().and_then(same_key)));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The instances whose canonical id is the same as `id`.
    fn with_id(&self, id: &SymStr) -> &[usize] {
        same_key(id)
            .and_then(|k| self.ids.get(&k))
            .map_or(&[][..], Vec::as_slice)
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
