//! The ARM expression evaluator: the `[…]` expression language over JSON values, variables
//! (with `copy`), parameters, user-defined functions, lambdas and `reference()`.
//!
//! What expressions mean is the evaluator core's ([`crate::eval`]): values and unknowns,
//! canonical text, equality, property access, the scope functions and the function library are
//! shared with the Bicep front end. This module keeps what is ARM syntax and template context.
//! Known inputs give known outputs; anything the tool cannot know gives a [`Value::Sym`] that
//! follows the conventions of `crate::model::value`. Evaluation never panics and is bounded by
//! the unit's [`Meter`] (see [`crate::eval::limits`]).

use super::expr::{self, Expr};
use super::json::{JKind, JVal, Span};
use crate::eval::access::{index, property};
use crate::eval::functions::{self, Ctx};
use crate::eval::lazy;
use crate::eval::limits::{Limit, MAX_CALL_DEPTH, MAX_EXPR_DEPTH, MAX_ITEMS, Meter};
use crate::eval::value::{bounded, is_opaque, nodes, object, opaque, produced, sym_node};
use crate::model::{Key, Node, Object, Part, Scope, Sym, SymStr, Value};
use crate::source::{FileId, Loc};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Where a parameter's value comes from.
#[derive(Clone, Debug)]
pub enum ParamSlot<'t> {
    /// From a parameters file or from the enclosing deployment's `parameters` (already evaluated).
    Given(Node),
    /// The template's `defaultValue`, evaluated on first use.
    Default(&'t JVal),
    /// No value: `Sym::Param`.
    Unknown,
}

/// The names a template level knows for `reference('name')` and `dependsOn`.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// (symbolic or literal name, canonical id).
    pub by_name: Vec<(SymStr, SymStr)>,
}

impl Names {
    pub fn lookup(&self, name: &SymStr) -> Option<&SymStr> {
        self.by_name
            .iter()
            .find(|(n, _)| n.same(name))
            .map(|(_, id)| id)
    }
}

/// One template's evaluation context: its parameters, variables, user functions and scope.
pub struct Frame<'t> {
    pub file: FileId,
    /// The scope expressions see (`resourceGroup()`, `subscription()`, `resourceId()`).
    pub scope: Scope,
    /// Where this level's resources are deployed, when that differs from [`Frame::scope`]: an
    /// outer-scope nested template evaluates its expressions in the *parent's* scope but deploys
    /// to the deployment's `subscriptionId` / `resourceGroup`.
    pub deploy_scope: Option<Scope>,
    /// The deployed template itself (its parameters come from the deployer), not a nested one.
    pub top_level: bool,
    pub params: HashMap<String, ParamSlot<'t>>,
    pub vars: HashMap<String, &'t JVal>,
    /// `variables.copy` entries by name.
    pub var_copies: HashMap<String, &'t JVal>,
    pub functions: HashMap<String, &'t JVal>,
    pub names: Names,
    /// Ids of the resources `reference()` named (not by id) since the loader last cleared it:
    /// ARM makes those implicit dependencies.
    pub referenced: RefCell<Vec<SymStr>>,
    /// Evaluated outputs of nested deployments, by deployment name, symbolic name and id.
    pub outputs: RefCell<Vec<(SymStr, Node)>>,
    /// Evaluated parameters and variables, with their size in nodes (what a copy costs).
    memo: RefCell<HashMap<String, (Node, usize)>>,
    busy: RefCell<HashSet<String>>,
    /// The unit's meter, shared by every frame of the unit.
    pub meter: Rc<Meter>,
    depth: Cell<usize>,
    /// Placeholder patterns for the defaults of a top-level template's parameters (values
    /// from parameters files arrive with them already replaced).
    pub placeholders: Option<crate::placeholders::Placeholders>,
}

/// A copy loop position: loop name (lower case), index (None = unknown), whether it is the
/// resource loop (what `copyIndex()` without a name refers to).
#[derive(Clone, Debug)]
pub struct LoopPos {
    pub name: String,
    pub index: Option<i64>,
    pub resource: bool,
}

/// Per-evaluation state: copy loop positions, lambda variables, user-function arguments.
#[derive(Clone, Default)]
pub struct Env {
    pub loops: Vec<LoopPos>,
    lambdas: Vec<(String, Node)>,
    fn_args: Option<Vec<(String, Node)>>,
    depth: usize,
}

impl Env {
    pub fn with_loop(&self, name: &str, index: Option<i64>, resource: bool) -> Env {
        let mut e = self.clone();
        e.loops.push(LoopPos {
            name: name.to_ascii_lowercase(),
            index,
            resource,
        });
        e
    }
}

impl<'t> Frame<'t> {
    /// A frame with a meter of its own (a template evaluated alone).
    pub fn new(file: FileId, scope: Scope) -> Self {
        Frame::with_meter(file, scope, Rc::new(Meter::new()))
    }

    /// A frame of a unit whose frames share `meter`.
    pub fn with_meter(file: FileId, scope: Scope, meter: Rc<Meter>) -> Self {
        Frame {
            file,
            scope,
            deploy_scope: None,
            top_level: false,
            params: HashMap::new(),
            vars: HashMap::new(),
            var_copies: HashMap::new(),
            functions: HashMap::new(),
            names: Names::default(),
            outputs: RefCell::new(Vec::new()),
            referenced: RefCell::new(Vec::new()),
            memo: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
            meter,
            depth: Cell::new(0),
            placeholders: None,
        }
    }

    /// A frame for an outer-scope nested template: same parameters, variables, functions and
    /// expression scope (ARM evaluates its expressions in the parent's scope); its resources go
    /// to `deploy_scope`, the deployment's target.
    pub fn outer_copy(&self, deploy_scope: Scope) -> Frame<'t> {
        let mut f = Frame::with_meter(self.file, self.scope.clone(), self.meter.clone());
        f.deploy_scope = Some(deploy_scope);
        f.top_level = self.top_level;
        f.params = self.params.clone();
        f.vars = self.vars.clone();
        f.var_copies = self.var_copies.clone();
        f.functions = self.functions.clone();
        f.names = self.names.clone();
        f.memo = RefCell::new(self.memo.borrow().clone());
        f.placeholders = self.placeholders.clone();
        f
    }

    /// Read a template's `parameters`, `variables` and `functions` sections.
    pub fn declare(&mut self, template: &'t JVal) {
        if let Some(ps) = template.get("parameters").and_then(JVal::as_obj) {
            for (k, decl) in ps {
                let slot = match decl.get("defaultValue") {
                    Some(d) => ParamSlot::Default(d),
                    None => ParamSlot::Unknown,
                };
                self.params.insert(k.name.to_ascii_lowercase(), slot);
            }
        }
        if let Some(vs) = template.get("variables").and_then(JVal::as_obj) {
            for (k, v) in vs {
                if k.name.eq_ignore_ascii_case("copy") && v.as_arr().is_some() {
                    for c in v.as_arr().unwrap_or_default() {
                        if let Some(n) = c.get("name").and_then(JVal::as_str) {
                            self.var_copies.insert(n.to_ascii_lowercase(), c);
                        }
                    }
                } else {
                    self.vars.insert(k.name.to_ascii_lowercase(), v);
                }
            }
        }
        if let Some(fs) = template.get("functions").and_then(JVal::as_arr) {
            for ns in fs {
                let prefix = ns.get("namespace").and_then(JVal::as_str).unwrap_or("");
                for (k, f) in ns.get("members").and_then(JVal::as_obj).unwrap_or_default() {
                    let name = format!("{prefix}.{}", k.name).to_ascii_lowercase();
                    self.functions.insert(name, f);
                }
            }
        }
    }

    /// The scope this level's resources are deployed to.
    pub fn target_scope(&self) -> &Scope {
        self.deploy_scope.as_ref().unwrap_or(&self.scope)
    }

    pub fn loc(&self, span: Span) -> Loc {
        Loc::new(self.file, span.start as usize, span.end as usize)
    }

    /// What the function library needs of this frame.
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            meter: &self.meter,
            scope: &self.scope,
            parse_json: json_value,
        }
    }

    /// Evaluate a JSON value: expression strings are evaluated, `[[` escapes unescaped, object
    /// keys that are expressions evaluated, property `copy` loops expanded.
    pub fn value(&self, env: &Env, j: &JVal) -> Node {
        let loc = self.loc(j.span);
        if !self.meter.step(loc) {
            return opaque("evaluation budget spent", loc);
        }
        match &j.kind {
            JKind::Null => Node::null(loc),
            JKind::Bool(b) => Node::new(Value::Bool(*b), loc),
            JKind::Int(i) => Node::new(Value::Int(*i), loc),
            JKind::Float(f) => Node::new(Value::Float(*f), loc),
            JKind::Str(s) => self.string(env, s, loc),
            JKind::Arr(items) => Node::new(
                Value::Array(items.iter().map(|i| self.value(env, i)).collect()),
                loc,
            ),
            JKind::Obj(members) => {
                let mut obj = Object {
                    entries: Vec::with_capacity(members.len()),
                };
                for (k, v) in members {
                    if k.name.eq_ignore_ascii_case("copy") && is_property_copy(v) {
                        self.property_copies(env, v, &mut obj);
                        continue;
                    }
                    let name = self.key(env, &k.name, self.loc(k.span));
                    obj.insert(
                        Key {
                            name,
                            loc: self.loc(k.span),
                        },
                        self.value(env, v),
                    );
                }
                Node::new(Value::Object(obj), loc)
            }
        }
    }

    /// A template's `outputs`: `{name: {type, value}}`, where an output may be a `copy` loop
    /// (`{count, input}`) instead of a value.
    pub fn outputs(&self, env: &Env, j: &JVal) -> Node {
        let mut obj = Object::default();
        for (k, out) in j.as_obj().unwrap_or_default() {
            let node = match out.get("copy").filter(|c| c.get("input").is_some()) {
                Some(c) => {
                    let loc = self.loc(out.span);
                    let value = match c.get("input") {
                        Some(input) => {
                            self.copy_array(env, &k.name, c.get("count"), input, loc, true)
                        }
                        None => opaque("copy without input", loc),
                    };
                    object(vec![("value", value.value)], loc)
                }
                None => self.value(env, out),
            };
            obj.insert(
                Key {
                    name: k.name.clone(),
                    loc: self.loc(k.span),
                },
                node,
            );
        }
        Node::new(Value::Object(obj), self.loc(j.span))
    }

    /// Literal JSON without expression evaluation (parameter files, `json()`).
    pub fn literal(&self, j: &JVal) -> Node {
        literal(self.file, j)
    }

    fn key(&self, env: &Env, name: &str, loc: Loc) -> String {
        if !expr::is_expression(name) {
            return expr::unescape_literal(name).to_string();
        }
        match self.string(env, name, loc).value {
            Value::Str(s) => s,
            Value::Sym(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            other => other.type_name().to_string(),
        }
    }

    /// A JSON string: an expression or a literal.
    pub fn string(&self, env: &Env, s: &str, loc: Loc) -> Node {
        if !expr::is_expression(s) {
            return Node::new(Value::Str(expr::unescape_literal(s).to_string()), loc);
        }
        match expr::parse(s) {
            Ok(e) => self.eval(env, &e, loc),
            Err(why) => {
                if why == expr::TOO_DEEP {
                    self.meter.hit(Limit::Nesting, loc);
                }
                opaque(format!("invalid expression: {why}"), loc)
            }
        }
    }

    fn property_copies(&self, env: &Env, copies: &JVal, obj: &mut Object) {
        for c in copies.as_arr().unwrap_or_default() {
            let Some((k, name)) = c
                .entry("name")
                .and_then(|(k, v)| Some((k, v.as_str()?.to_string())))
            else {
                continue;
            };
            let loc = self.loc(c.span);
            let value = match c.get("input") {
                Some(input) => self.copy_array(env, &name, c.get("count"), input, loc, false),
                None => opaque("copy without input", loc),
            };
            obj.insert(
                Key {
                    name,
                    loc: self.loc(k.span),
                },
                value,
            );
        }
    }

    /// Expand `{name, count, input}` into an array (unknown when the count is).
    /// `unnamed`: `copyIndex()` without a name refers to this loop (output loops).
    fn copy_array(
        &self,
        env: &Env,
        name: &str,
        count: Option<&JVal>,
        input: &JVal,
        loc: Loc,
        unnamed: bool,
    ) -> Node {
        let count = match count.map(|c| self.value(env, c)) {
            Some(n) => match n.as_i64() {
                Some(n) if n > MAX_ITEMS as i64 => {
                    self.meter.hit(Limit::ValueSize, loc);
                    return opaque("copy count too large", loc);
                }
                Some(n) if n >= 0 => n,
                _ => return opaque("copy count not known", loc),
            },
            None => return opaque("copy without count", loc),
        };
        let mut items = Vec::new();
        let mut size = 0;
        for i in 0..count {
            let item = self.value(&env.with_loop(name, Some(i), unnamed), input);
            size += nodes(&item.value);
            if size > crate::eval::limits::MAX_VALUE_NODES {
                self.meter.hit(Limit::ValueSize, loc);
                return opaque("value too large", loc);
            }
            items.push(item);
        }
        bounded(&self.meter, Node::new(Value::Array(items), loc))
    }

    pub fn parameter(&self, env: &Env, name: &str, loc: Loc) -> Node {
        if let Some(args) = &env.fn_args {
            return args
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| produced(&self.meter, v.clone()))
                .unwrap_or_else(|| opaque("unknown function parameter", loc));
        }
        let key = name.to_ascii_lowercase();
        match self.params.get(&key) {
            Some(ParamSlot::Given(n)) => produced(&self.meter, n.clone()),
            Some(ParamSlot::Default(d)) => {
                let v = self.memoised(
                    &format!("p:{key}"),
                    || {
                        let v = self.value(&Env::default(), d);
                        match (&self.placeholders, self.top_level) {
                            (Some(p), true) => p.apply(v),
                            _ => v,
                        }
                    },
                    loc,
                );
                // A top-level default the tool cannot evaluate (`utcNow()`, …) still has one
                // value per deployment: the parameter names it (as in the Bicep front end).
                if is_opaque(&v.value) && self.top_level {
                    return sym_node(Sym::Param(name.to_string()), loc);
                }
                v
            }
            Some(ParamSlot::Unknown) => sym_node(Sym::Param(name.to_string()), loc),
            None => opaque("undeclared parameter", loc),
        }
    }

    pub fn variable(&self, name: &str, loc: Loc) -> Node {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.vars.get(&key) {
            return self.memoised(&format!("v:{key}"), || self.value(&Env::default(), v), loc);
        }
        if let Some(c) = self.var_copies.get(&key) {
            return self.memoised(
                &format!("v:{key}"),
                || match c.get("input") {
                    Some(input) => self.copy_array(
                        &Env::default(),
                        name,
                        c.get("count"),
                        input,
                        self.loc(c.span),
                        false,
                    ),
                    None => opaque("copy without input", loc),
                },
                loc,
            );
        }
        opaque("undeclared variable", loc)
    }

    /// Evaluate once; a cycle (a variable that refers to itself) is unknown. Every later use is
    /// a copy, charged to the meter by its size.
    fn memoised(&self, key: &str, f: impl FnOnce() -> Node, loc: Loc) -> Node {
        if let Some((n, size)) = self.memo.borrow().get(key) {
            if !self.meter.produced(*size, loc) {
                return opaque("evaluation budget spent", loc);
            }
            return n.clone();
        }
        if !self.busy.borrow_mut().insert(key.to_string()) {
            return opaque("circular reference", loc);
        }
        if self.busy.borrow().len() > MAX_CALL_DEPTH {
            self.busy.borrow_mut().remove(key);
            self.meter.hit(Limit::CallDepth, loc);
            return opaque("references nested too deeply", loc);
        }
        let n = f();
        self.busy.borrow_mut().remove(key);
        let size = nodes(&n.value);
        self.memo
            .borrow_mut()
            .insert(key.to_string(), (n.clone(), size));
        n
    }

    pub fn eval(&self, env: &Env, e: &Expr, loc: Loc) -> Node {
        if !self.meter.step(loc) {
            return opaque("evaluation budget spent", loc);
        }
        // Expressions nest through variables, parameters and functions: bound the total depth so
        // hostile input cannot overflow the stack (debug builds have large frames).
        let depth = self.depth.get();
        if depth >= MAX_EXPR_DEPTH {
            self.meter.hit(Limit::Nesting, loc);
            return opaque("expression nested too deeply", loc);
        }
        self.depth.set(depth + 1);
        // A value written elsewhere (a parameter's value or default, a variable) keeps its
        // location; the expression string is where it is used.
        let out = self.eval_inner(env, e, loc).used_at(loc);
        self.depth.set(depth);
        out
    }

    fn eval_inner(&self, env: &Env, e: &Expr, loc: Loc) -> Node {
        match e {
            Expr::Str(s) => Node::new(Value::Str(s.to_string()), loc),
            Expr::Int(i) => Node::new(Value::Int(*i), loc),
            Expr::Bool(b) => Node::new(Value::Bool(*b), loc),
            Expr::Null => Node::null(loc),
            Expr::Prop(base, name) => {
                let b = self.eval(env, base, loc);
                property(b, name, loc, false)
            }
            Expr::Index(base, idx) => {
                let b = self.eval(env, base, loc);
                let i = self.eval(env, idx, loc);
                index(b, &i, loc, false)
            }
            Expr::Call(name, args) => self.call(env, name, args, loc),
        }
    }

    fn call(&self, env: &Env, name: &str, args: &[Expr], loc: Loc) -> Node {
        let lname = name.to_ascii_lowercase();
        if lname.contains('.') {
            return self.user_function(env, &lname, args, loc);
        }
        let ev = |i: usize| -> Node {
            match args.get(i) {
                Some(a) => self.eval(env, a, loc),
                None => opaque("missing argument", loc),
            }
        };
        let all = || -> Vec<Node> { args.iter().map(|a| self.eval(env, a, loc)).collect() };
        let n = |v: Value| Node::new(v, loc);
        match lname.as_str() {
            "parameters" => match ev(0).value {
                Value::Str(p) => self.parameter(env, &p, loc),
                _ => opaque("parameters() of an unknown name", loc),
            },
            "variables" => match ev(0).value {
                Value::Str(v) => self.variable(&v, loc),
                _ => opaque("variables() of an unknown name", loc),
            },
            "lambdavariables" => match ev(0).value {
                Value::Str(v) => env
                    .lambdas
                    .iter()
                    .rev()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&v))
                    .map(|(_, n)| produced(&self.meter, n.clone()))
                    .unwrap_or_else(|| opaque("unknown lambda variable", loc)),
                _ => opaque("lambda variable", loc),
            },
            "copyindex" => self.copy_index(env, &all(), loc),
            "null" => Node::null(loc),
            "true" => n(Value::Bool(true)),
            "false" => n(Value::Bool(false)),
            "if" | "iif" => lazy::if_(&mut (), ev(0), |_| ev(1), |_| ev(2), loc),
            "and" | "or" => lazy::logic(
                lname == "and",
                args.iter().map(|a| self.eval(env, a, loc)),
                loc,
            ),
            "not" => lazy::not(ev(0), loc),
            "coalesce" => lazy::coalesce(args.iter().map(|a| self.eval(env, a, loc)), loc),
            "reference" => self.reference(&all(), loc),
            "map" | "filter" | "reduce" | "sort" | "toobject" => {
                self.lambda_call(env, &lname, args, loc)
            }
            "lambda" => opaque("lambda outside map/filter/reduce", loc),
            _ => match functions::call(&self.ctx(), &lname, name, all(), loc) {
                Ok(v) => v,
                Err(_) => functions::unmodelled(name, loc),
            },
        }
    }

    fn copy_index(&self, env: &Env, args: &[Node], loc: Loc) -> Node {
        let (pos, offset) = match args.first().map(|a| &a.value) {
            Some(Value::Str(l)) => (
                env.loops
                    .iter()
                    .rev()
                    .find(|p| p.name.eq_ignore_ascii_case(l)),
                args.get(1),
            ),
            _ => (env.loops.iter().rev().find(|p| p.resource), args.first()),
        };
        let offset = match offset.map(|o| &o.value) {
            None => 0,
            Some(Value::Int(i)) => *i,
            Some(_) => return opaque("copyIndex offset unknown", loc),
        };
        match pos.and_then(|p| p.index) {
            Some(i) => Node::new(Value::Int(i.saturating_add(offset)), loc),
            None => opaque("copyIndex() of a loop whose count is not known", loc),
        }
    }

    /// `reference(nameOrId, [apiVersion], ['Full'])`: an object-like symbol whose properties are
    /// `Sym::ResourceProp`; a nested deployment whose outputs are known gives those outputs.
    fn reference(&self, args: &[Node], loc: Loc) -> Node {
        let Some(target) = args.first().and_then(|a| a.value.to_symstr()) else {
            return opaque("reference() of a non-string", loc);
        };
        if target
            .parts
            .iter()
            .any(|p| matches!(p, Part::Sym(Sym::Opaque(_))))
        {
            return opaque("reference() of an unknown resource", loc);
        }
        let full = args
            .get(2)
            .and_then(|a| a.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("full"));
        let is_id = target.lit_prefix().starts_with('/');
        let by_name = if is_id {
            None
        } else {
            self.names.lookup(&target).cloned()
        };
        if let Some(id) = &by_name {
            self.referenced.borrow_mut().push(id.clone());
        }
        if !full {
            let outputs = self.outputs.borrow();
            // By name or exact id; else by the id's `Microsoft.Resources/deployments/x` tail
            // (a deployment id written with another scope spelling).
            let found = outputs.iter().find(|(k, _)| k.same(&target)).or_else(|| {
                let tail = provider_tail(&target)?;
                outputs
                    .iter()
                    .find(|(k, _)| provider_tail(k).is_some_and(|t| t.same(&tail)))
            });
            if let Some((_, out)) = found {
                let mut n = object(vec![("outputs", out.value.clone())], loc);
                n.loc = out.loc;
                return produced(&self.meter, n);
            }
        }
        let id = if is_id {
            target
        } else {
            by_name.unwrap_or(target)
        };
        let path = if full {
            vec![]
        } else {
            vec!["properties".to_string()]
        };
        sym_node(Sym::ResourceProp { id, path }, loc)
    }

    fn user_function(&self, env: &Env, name: &str, args: &[Expr], loc: Loc) -> Node {
        let Some(f) = self.functions.get(name) else {
            return opaque(format!("unknown function {name}"), loc);
        };
        if env.depth >= MAX_CALL_DEPTH {
            self.meter.hit(Limit::CallDepth, loc);
            return opaque("user function recursion too deep", loc);
        }
        if !self.meter.call(loc) {
            return opaque("too many function calls", loc);
        }
        let names: Vec<String> = f
            .get("parameters")
            .and_then(JVal::as_arr)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                p.get("name")
                    .and_then(JVal::as_str)
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        let vals = args.iter().map(|a| self.eval(env, a, loc));
        let inner = Env {
            loops: Vec::new(),
            lambdas: Vec::new(),
            fn_args: Some(names.into_iter().zip(vals).collect()),
            depth: env.depth + 1,
        };
        match f.get("output").and_then(|o| o.get("value")) {
            Some(v) => {
                let mut out = self.value(&inner, v);
                out.loc = loc;
                out
            }
            None => opaque("user function without output", loc),
        }
    }

    /// `map`/`filter`/`reduce`/`sort`/`toObject` over known arrays.
    fn lambda_call(&self, env: &Env, name: &str, args: &[Expr], loc: Loc) -> Node {
        if env.depth >= MAX_CALL_DEPTH {
            self.meter.hit(Limit::CallDepth, loc);
            return opaque("lambda nesting too deep", loc);
        }
        let input = match args.first().map(|a| self.eval(env, a, loc)) {
            Some(Node {
                value: Value::Array(items),
                ..
            }) => items,
            _ => return opaque(format!("{name}() of an unknown array"), loc),
        };
        let lambda_at = if name == "reduce" { 2 } else { 1 };
        let Some(Expr::Call(l, largs)) = args.get(lambda_at) else {
            // toObject without a value lambda, sort without lambda: not modelled.
            return opaque(format!("{name}() without a lambda"), loc);
        };
        if !l.eq_ignore_ascii_case("lambda") || largs.is_empty() {
            return opaque("expected lambda()", loc);
        }
        let (params, body) = largs.split_at(largs.len() - 1);
        let body = &body[0];
        let params: Vec<String> = params
            .iter()
            .map(|p| match p {
                Expr::Str(s) => s.to_string(),
                _ => String::new(),
            })
            .collect();
        let apply = |vals: Vec<Node>| -> Node {
            let mut e = env.clone();
            e.depth += 1;
            e.lambdas.extend(params.iter().cloned().zip(vals));
            self.eval(&e, body, loc)
        };
        match name {
            "map" => {
                let mut out = Vec::with_capacity(input.len());
                let mut size = 0;
                for (i, x) in input.into_iter().enumerate() {
                    let v = apply(vec![x, Node::new(Value::Int(i as i64), loc)]);
                    // Each item may be large: stop at the size of one value, not after.
                    size += nodes(&v.value);
                    if size > crate::eval::limits::MAX_VALUE_NODES {
                        self.meter.hit(Limit::ValueSize, loc);
                        return opaque("value too large", loc);
                    }
                    out.push(v);
                }
                Node::new(Value::Array(out), loc)
            }
            "filter" => {
                let mut out = Vec::new();
                for (i, x) in input.into_iter().enumerate() {
                    match apply(vec![x.clone(), Node::new(Value::Int(i as i64), loc)]).value {
                        Value::Bool(true) => out.push(x),
                        Value::Bool(false) => {}
                        _ => return opaque("filter() with an unknown predicate", loc),
                    }
                }
                Node::new(Value::Array(out), loc)
            }
            "reduce" => {
                let mut acc = match args.get(1) {
                    Some(a) => self.eval(env, a, loc),
                    None => return opaque("reduce() without initial value", loc),
                };
                for (i, x) in input.into_iter().enumerate() {
                    acc = apply(vec![acc, x, Node::new(Value::Int(i as i64), loc)]);
                }
                acc
            }
            "toobject" => {
                let mut obj = Object::default();
                for x in input {
                    let k = apply(vec![x.clone()]);
                    let v = match args.get(2) {
                        Some(Expr::Call(l2, l2args)) if l2.eq_ignore_ascii_case("lambda") => {
                            let (ps, b) = l2args.split_at(l2args.len().saturating_sub(1));
                            let mut e = env.clone();
                            e.depth += 1;
                            if let Some(Expr::Str(p)) = ps.first() {
                                e.lambdas.push((p.to_string(), x.clone()));
                            }
                            match b.first() {
                                Some(b) => self.eval(&e, b, loc),
                                None => opaque("empty lambda", loc),
                            }
                        }
                        _ => x,
                    };
                    match k.value {
                        Value::Str(s) => obj.insert(Key { name: s, loc }, v),
                        _ => return opaque("toObject() with an unknown key", loc),
                    }
                }
                Node::new(Value::Object(obj), loc)
            }
            _ => opaque(format!("{name}() is not modelled"), loc),
        }
    }
}

fn is_property_copy(v: &JVal) -> bool {
    v.as_arr().is_some_and(|a| {
        !a.is_empty()
            && a.iter()
                .all(|c| c.get("name").is_some() && c.get("input").is_some())
    })
}

/// Literal JSON → Node (no expression evaluation).
pub fn literal(file: FileId, j: &JVal) -> Node {
    let loc = Loc::new(file, j.span.start as usize, j.span.end as usize);
    let v = match &j.kind {
        JKind::Null => Value::Null,
        JKind::Bool(b) => Value::Bool(*b),
        JKind::Int(i) => Value::Int(*i),
        JKind::Float(f) => Value::Float(*f),
        JKind::Str(s) => Value::Str(s.clone()),
        JKind::Arr(a) => Value::Array(a.iter().map(|x| literal(file, x)).collect()),
        JKind::Obj(m) => Value::Object(Object {
            entries: m
                .iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.name.clone(),
                            loc: Loc::new(file, k.span.start as usize, k.span.end as usize),
                        },
                        literal(file, v),
                    )
                })
                .collect(),
        }),
    };
    Node::new(v, loc)
}

/// `json()`: JSON text read as ARM reads templates (comments allowed), every value located at
/// the call (offsets inside the string mean nothing in the file).
pub fn json_value(text: &str, loc: Loc) -> Option<Node> {
    fn relocate(n: &mut Node, loc: Loc) {
        n.loc = loc;
        match &mut n.value {
            Value::Array(a) => a.iter_mut().for_each(|x| relocate(x, loc)),
            Value::Object(o) => o.entries.iter_mut().for_each(|(k, v)| {
                k.loc = loc;
                relocate(v, loc)
            }),
            _ => {}
        }
    }
    let j = super::json::parse(text).ok()?;
    let mut n = literal(loc.file, &j);
    relocate(&mut n, loc);
    Some(n)
}

/// The part of an id after its last `/providers/` (ignores the scope prefix).
pub fn provider_tail(id: &SymStr) -> Option<SymStr> {
    let pos = id
        .parts
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, p)| match p {
            Part::Lit(l) => l
                .to_ascii_lowercase()
                .rfind("/providers/")
                .map(|at| (i, at + "/providers/".len())),
            _ => None,
        })?;
    let mut out = SymStr::default();
    for (i, p) in id.parts.iter().enumerate().skip(pos.0) {
        match p {
            Part::Lit(l) if i == pos.0 => out.push_lit(&l[pos.1..]),
            Part::Lit(l) => out.push_lit(l),
            Part::Sym(s) => out.push_sym(s.clone()),
        }
    }
    Some(out)
}
