//! The evaluator of one Bicep file: declarations, expressions and symbol references.
//!
//! Declarations are collected first and evaluated on demand (Bicep declarations may be used
//! before they are written), memoised, with a guard against cycles. What expressions mean is the
//! evaluator core's ([`crate::eval`]): this module walks the syntax tree and turns operators,
//! interpolation and accesses into core calls, so that the rules see the same values for a
//! `.bicep` file and for the ARM JSON the Bicep compiler makes of it. Evaluation is bounded by
//! the unit's meter (see [`crate::eval::limits`]).

use super::Shared;
use super::resources::{Inst, ModInst};
use crate::eval::access::{index, property};
use crate::eval::functions::Ctx;
use crate::eval::lazy;
use crate::eval::limits::{Limit, MAX_EXPR_DEPTH, MAX_ITEMS, MAX_VALUE_NODES};
use crate::eval::text::Text;
pub use crate::eval::value::{expr, opaque, relocate};
use crate::eval::value::{is_opaque, nodes, produced};
use crate::model::{Key, Node, Object, Scope, Sym, Value};
use crate::source::{FileId, Loc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use tree_sitter::Node as Ts;

/// Resource and module loops are expanded up to this many items; larger ones become one
/// representative instance (as ARM copy loops, [`crate::arm::load::MAX_COPY`]).
pub const MAX_LOOP: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Param,
    Var,
    Resource,
    Module,
    Func,
    Output,
}

#[derive(Clone, Copy)]
pub struct Decl<'t> {
    pub kind: DeclKind,
    pub node: Ts<'t>,
    /// For a resource declared inside another resource's body: the parent's symbol.
    pub parent: Option<Ts<'t>>,
}

pub enum Memo<T> {
    InProgress,
    Done(T),
}

/// The instances of resource or module symbols, by symbol, built once.
pub type InstanceMemo<T> = HashMap<String, Memo<Rc<Vec<T>>>>;

/// A memoised value and the resource/module symbols its evaluation referenced (so that a
/// resource using a variable depends on what the variable refers to, as the compiler does).
#[derive(Clone)]
pub struct Evaluated {
    pub node: Node,
    pub refs: Vec<Ref>,
    /// Nodes in `node`: what a copy of it costs.
    pub size: usize,
}

/// A reference to a resource or module symbol; `index` is the loop instance when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub symbol: String,
    pub index: Option<usize>,
}

pub struct Eval<'t, 's> {
    pub shared: &'s mut Shared,
    pub file: FileId,
    pub text: &'t str,
    pub dir: Option<PathBuf>,
    pub scope: Scope,
    /// `/modules/<name>` prefix for resource pointers inside modules.
    pub pointer_prefix: String,
    pub parent_deployment: Option<usize>,
    /// Presence of the enclosing module (its resources are no more present than it).
    pub presence: crate::model::Presence,
    /// Parameter values supplied from outside (module params, parameter files).
    pub inputs: HashMap<String, Node>,
    pub decls: HashMap<String, Decl<'t>>,
    pub order: Vec<(String, Decl<'t>)>,
    pub memo: HashMap<String, Memo<Evaluated>>,
    pub res_memo: InstanceMemo<Inst<'t>>,
    pub mod_memo: InstanceMemo<ModInst>,
    /// Model index of each resource instance (symbol → per instance).
    pub res_index: HashMap<String, Vec<Option<usize>>>,
    pub locals: Vec<(String, Node)>,
    pub refs: Vec<Ref>,
    /// Model resources created by this file and the symbols their bodies referenced.
    pub pending: Vec<(usize, Vec<Ref>)>,
    pub depth: usize,
    /// Nesting of user-defined function calls.
    pub call_depth: usize,
    /// `import { x as y } from './f.bicep'`: local name → (path, exported name).
    pub imports: HashMap<String, (String, String)>,
    /// `import * as ns from './f.bicep'`: namespace → path.
    pub namespaces: HashMap<String, String>,
    /// Resource/module symbols a variable's expression mentions (directly or through other
    /// variables), for [`Eval::syntactic_refs`].
    pub var_refs: HashMap<String, Option<Vec<String>>>,
    /// Qualified symbol (`parent::child`) of each resource declaration node.
    pub qnames: HashMap<usize, String>,
    /// Symbols of this file's statements skipped for a syntax error, with their index in
    /// [`crate::model::Model::broken`]; an unnamed broken statement (an import, a statement
    /// of unknown kind) under [`UNNAMED_BROKEN`], as any unknown symbol may come from it.
    pub broken: HashMap<String, usize>,
}

/// The key of [`Eval::broken`] for the first broken statement without a name.
pub const UNNAMED_BROKEN: &str = "<broken statement>";

impl<'t, 's> Eval<'t, 's> {
    pub fn new(
        shared: &'s mut Shared,
        file: FileId,
        text: &'t str,
        dir: Option<PathBuf>,
        setup: super::FileSetup,
    ) -> Self {
        Eval {
            shared,
            file,
            text,
            dir,
            scope: setup.scope,
            pointer_prefix: setup.pointer_prefix,
            parent_deployment: setup.parent_deployment,
            presence: setup.presence,
            inputs: setup.inputs,
            decls: HashMap::new(),
            order: Vec::new(),
            memo: HashMap::new(),
            res_memo: HashMap::new(),
            mod_memo: HashMap::new(),
            res_index: HashMap::new(),
            locals: Vec::new(),
            refs: Vec::new(),
            pending: Vec::new(),
            depth: 0,
            call_depth: 0,
            imports: HashMap::new(),
            namespaces: HashMap::new(),
            var_refs: HashMap::new(),
            qnames: HashMap::new(),
            broken: HashMap::new(),
        }
    }

    pub fn loc(&self, n: Ts) -> Loc {
        Loc::new(self.file, n.start_byte(), n.end_byte())
    }

    pub fn src(&self, n: Ts) -> &'t str {
        self.text.get(n.byte_range()).unwrap_or("")
    }

    /// What the function library needs of this file.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            meter: &self.shared.meter,
            scope: &self.scope,
            parse_json: crate::arm::eval::json_value,
        }
    }

    /// Collect the declarations of a file's statements (including resources nested in
    /// resource bodies), and the symbols of its broken statements.
    pub fn collect(&mut self, statements: &[Ts<'t>]) {
        for (i, b) in self.shared.model.broken.iter().enumerate() {
            if b.error.file != self.file {
                continue;
            }
            let key = b.symbol.clone().unwrap_or_else(|| UNNAMED_BROKEN.into());
            self.broken.entry(key).or_insert(i);
        }
        for &n in statements {
            if n.kind() == "import_functionality" {
                self.collect_import(n);
            } else {
                self.collect_decl(n, None);
            }
        }
    }

    fn collect_decl(&mut self, n: Ts<'t>, parent: Option<Ts<'t>>) {
        // Nested child resources deeper than any real template are not modelled (hostile input).
        if self.depth > MAX_EXPR_DEPTH {
            self.shared.meter.hit(Limit::Nesting, self.loc(n));
            return;
        }
        if !self.shared.meter.step(self.loc(n)) {
            return;
        }
        let kind = match n.kind() {
            "parameter_declaration" => DeclKind::Param,
            // `.bicepparam`: `param x = …` is read like a variable (one may use another).
            "variable_declaration" | "parameter_assignment" => DeclKind::Var,
            "resource_declaration" => DeclKind::Resource,
            "module_declaration" => DeclKind::Module,
            "user_defined_function" => DeclKind::Func,
            "output_declaration" => DeclKind::Output,
            _ => return,
        };
        let name_node = if kind == DeclKind::Func {
            n.child_by_field_name("name")
        } else {
            first_named(n, "identifier")
        };
        let Some(name_node) = name_node else { return };
        let bare = self.src(name_node).to_string();
        // A nested resource's symbol is `parent::child` (as in compiled symbolic-name
        // templates); its bare name also works where it is not taken.
        let name = match parent.and_then(|p| self.qnames.get(&p.id())) {
            Some(q) => format!("{q}::{bare}"),
            None => bare.clone(),
        };
        if kind == DeclKind::Resource {
            self.qnames.insert(n.id(), name.clone());
        }
        if parent.is_some() {
            self.decls.entry(bare).or_insert(Decl {
                kind,
                node: n,
                parent,
            });
        }
        let decl = Decl {
            kind,
            node: n,
            parent,
        };
        if kind == DeclKind::Output {
            self.order.push((name, decl));
            return;
        }
        self.decls.entry(name.clone()).or_insert(decl);
        self.order.push((name, decl));
        if kind == DeclKind::Resource {
            // Nested child resources live in the body object's properties.
            if let Some(body) = resource_object(n) {
                let mut c = body.walk();
                let props: Vec<Ts<'t>> = body.named_children(&mut c).collect();
                for p in props {
                    if p.kind() == "object_property"
                        && let Some(r) = first_named(p, "resource_declaration")
                    {
                        self.depth += 1;
                        self.collect_decl(r, Some(n));
                        self.depth -= 1;
                    }
                }
            }
        }
    }

    // ----- symbols -----

    /// `parent::child` for a nested resource declaration, its own name otherwise.
    pub fn qualified_name(&self, decl: Ts<'t>) -> String {
        match self.qnames.get(&decl.id()) {
            Some(q) => q.clone(),
            None => first_named(decl, "identifier")
                .map(|i| self.src(i).to_string())
                .unwrap_or_default(),
        }
    }

    /// The key under which a resource or module symbol's instances are kept.
    fn symbol_key(&self, name: &str, d: &Decl<'t>) -> String {
        if d.kind == DeclKind::Resource && d.parent.is_some() {
            self.qualified_name(d.node)
        } else {
            name.to_string()
        }
    }

    /// Value of a parameter or variable, memoised; its references are replayed into `refs`.
    /// The value keeps the location where it is written (the `.bicepparam` line, the default,
    /// the variable's expression) and records `at` as its use (see [`used`]).
    fn named_value(&mut self, name: &str, decl: Decl<'t>, at: Loc) -> Node {
        match self.memo.get(name) {
            Some(Memo::Done(e)) => {
                if !self.shared.meter.produced(e.size, at) {
                    return opaque("evaluation budget spent", at);
                }
                let e = e.clone();
                self.refs.extend(e.refs);
                return used(e.node, self.loc(decl.node), at);
            }
            Some(Memo::InProgress) => return opaque(format!("cyclic reference to {name}"), at),
            None => {}
        }
        self.memo.insert(name.to_string(), Memo::InProgress);
        let saved_refs = std::mem::take(&mut self.refs);
        let saved_locals = std::mem::take(&mut self.locals);
        let node = match decl.kind {
            DeclKind::Param => self.param_value(name, decl.node),
            _ => match last_expression(decl.node) {
                Some(e) => self.eval(e),
                None => opaque(format!("{name} has no value"), self.loc(decl.node)),
            },
        };
        self.locals = saved_locals;
        let refs = std::mem::replace(&mut self.refs, saved_refs);
        self.refs.extend(refs.iter().cloned());
        self.memo.insert(
            name.to_string(),
            Memo::Done(Evaluated {
                size: nodes(&node.value),
                node: node.clone(),
                refs,
            }),
        );
        used(node, self.loc(decl.node), at)
    }

    /// A parameter: the supplied value, else its default, else `Sym::Param(name)`.
    fn param_value(&mut self, name: &str, decl: Ts<'t>) -> Node {
        let v = self.param_value_as_written(name, decl);
        // What a pipeline substitutes before deploying the top-level file is unknown.
        if self.parent_deployment.is_none() {
            return self.shared.placeholders.apply(v);
        }
        v
    }

    fn param_value_as_written(&mut self, name: &str, decl: Ts<'t>) -> Node {
        if let Some(v) = self.inputs.get(name) {
            return v.clone();
        }
        let has_default = {
            let mut c = decl.walk();
            decl.children(&mut c).any(|ch| ch.kind() == "=")
        };
        if has_default && let Some(e) = last_expression(decl) {
            let v = self.eval(e);
            // A top-level default the tool cannot evaluate (`utcNow()`, …) still has one value
            // per deployment: the parameter itself names it.
            if !(is_opaque(&v.value) && self.parent_deployment.is_none()) {
                return v;
            }
        }
        // In a module every required parameter is passed (the compiler checks it): one that
        // is missing is a nullable parameter left out, whose value is null.
        if self.parent_deployment.is_some() {
            return Node::null(self.loc(decl));
        }
        Node::new(Value::sym(Sym::Param(name.to_string())), self.loc(decl))
    }

    pub fn eval_identifier(&mut self, n: Ts<'t>) -> Node {
        let name = self.src(n);
        let at = self.loc(n);
        if let Some((_, v)) = self.locals.iter().rev().find(|(k, _)| k == name) {
            return produced(&self.shared.meter, relocate(v.clone(), at));
        }
        match self.decls.get(name).copied() {
            Some(d) if matches!(d.kind, DeclKind::Param | DeclKind::Var) => {
                let name = name.to_string();
                self.named_value(&name, d, at)
            }
            Some(d) if d.kind == DeclKind::Resource => {
                self.refs.push(Ref {
                    symbol: self.symbol_key(name, &d),
                    index: None,
                });
                opaque(format!("resource {name}"), at)
            }
            Some(d) if d.kind == DeclKind::Module => {
                self.refs.push(Ref {
                    symbol: name.to_string(),
                    index: None,
                });
                opaque(format!("module {name}"), at)
            }
            _ => match self.imported_value(name, at) {
                Some(v) => v,
                None => self.unknown_symbol(name, at),
            },
        }
    }

    /// A symbol this file does not declare: one of a statement skipped for a syntax error (or
    /// of any unknown symbol, when a broken statement has no name) is unknown, and whatever
    /// uses it depends on that statement (BICEP002).
    fn unknown_symbol(&mut self, name: &str, at: Loc) -> Node {
        let key = if self.broken.contains_key(name) {
            name
        } else if self.broken.contains_key(UNNAMED_BROKEN) {
            UNNAMED_BROKEN
        } else {
            return opaque(format!("unknown symbol {name}"), at);
        };
        self.refs.push(Ref {
            symbol: key.to_string(),
            index: None,
        });
        opaque(crate::model::BrokenStatement::unknown_reason(name), at)
    }

    /// The resource and module symbols an expression mentions anywhere, also in branches that
    /// evaluation skips and through variables: the Bicep compiler derives `dependsOn` from the
    /// syntax, not from values.
    ///
    /// One downward walk that carries each node's parent and grandparent: tree-sitter finds a
    /// node's parent by walking down from the root, so asking for it at every identifier would
    /// make deeply nested bodies quadratic.
    pub fn syntactic_refs(&mut self, root: Ts<'t>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let root_parent = if root.kind() == "identifier" {
            root.parent()
        } else {
            None
        };
        let mut stack = vec![(root, root_parent, None)];
        while let Some((n, parent, grandparent)) = stack.pop() {
            if n.id() != root.id() && n.kind() == "resource_declaration" {
                continue; // a nested resource is a resource of its own
            }
            if n.kind() == "identifier" && !is_binding_or_key(n, parent, grandparent) {
                let name = self.src(n);
                match self.decls.get(name).map(|d| (d.kind, d.node, *d)) {
                    Some((DeclKind::Resource | DeclKind::Module, _, d)) => {
                        let key = self.symbol_key(name, &d);
                        if !out.contains(&key) {
                            out.push(key);
                        }
                    }
                    Some((DeclKind::Var, node, _)) => {
                        for r in self.var_syntactic_refs(name, node) {
                            if !out.contains(&r) {
                                out.push(r);
                            }
                        }
                    }
                    _ => {}
                }
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c).map(|ch| (ch, Some(n), parent)));
        }
        out
    }

    fn var_syntactic_refs(&mut self, name: &str, node: Ts<'t>) -> Vec<String> {
        match self.var_refs.get(name) {
            Some(Some(v)) => return v.clone(),
            Some(None) => return Vec::new(), // cycle
            None => {}
        }
        if self.depth > MAX_EXPR_DEPTH {
            self.shared.meter.hit(Limit::Nesting, self.loc(node));
            return Vec::new();
        }
        self.var_refs.insert(name.to_string(), None);
        self.depth += 1;
        let refs = match last_expression(node) {
            Some(e) => self.syntactic_refs(e),
            None => Vec::new(),
        };
        self.depth -= 1;
        self.var_refs.insert(name.to_string(), Some(refs.clone()));
        refs
    }

    /// The value of a declaration of this file by name (imports from other files).
    pub fn value_by_name(&mut self, name: &str, at: Loc) -> Node {
        match self.decls.get(name).copied() {
            Some(d) if d.kind == DeclKind::Var => self.named_value(name, d, at),
            _ => opaque(format!("{name} is not an exported variable"), at),
        }
    }

    /// Call a function of this file by name with evaluated arguments.
    pub fn call_by_name(&mut self, name: &str, args: Vec<Node>, at: Loc) -> Node {
        match self.decls.get(name).copied() {
            Some(d) if d.kind == DeclKind::Func => self.call_user_function_values(d.node, args, at),
            _ => opaque(format!("{name} is not an exported function"), at),
        }
    }

    // ----- expressions -----

    pub fn eval(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        if !self.shared.meter.step(loc) {
            return opaque("evaluation budget spent", loc);
        }
        if self.depth > MAX_EXPR_DEPTH {
            self.shared.meter.hit(Limit::Nesting, loc);
            return opaque("expression nested too deeply", loc);
        }
        self.depth += 1;
        // A value written elsewhere (a member of a parameter's object, a resource's property)
        // is used here: the outermost expression that yields it is its use.
        let out = self.eval_inner(n).used_at(loc);
        self.depth -= 1;
        out
    }

    fn eval_inner(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        match n.kind() {
            "string" => self.eval_string(n),
            "number" => match self.src(n).trim().parse::<i64>() {
                Ok(i) => Node::new(Value::Int(i), loc),
                Err(_) => opaque("number out of range", loc),
            },
            "boolean" => Node::new(Value::Bool(self.src(n).trim() == "true"), loc),
            "null" => Node::null(loc),
            "identifier" => self.eval_identifier(n),
            "object" => self.eval_object(n),
            "array" => self.eval_array(n),
            "parenthesized_expression" => match n.named_child(0) {
                Some(e) if n.named_child_count() == 1 => self.eval(e).used_at(loc),
                _ => opaque("tuple", loc),
            },
            "unary_expression" => self.eval_unary(n),
            "binary_expression" => self.eval_binary(n),
            "ternary_expression" => self.eval_ternary(n),
            "member_expression" => self.eval_member(n),
            "subscript_expression" => self.eval_subscript(n),
            "call_expression" => self.eval_call(n),
            "for_statement" => self.eval_for(n),
            "resource_expression" => self.eval_resource_expression(n),
            // `x!` asserts what the evaluator cannot check: the value is `x`'s.
            "non_null_expression" => match n.child_by_field_name("expression") {
                Some(e) => self.eval(e).used_at(loc),
                None => opaque("non-null assertion", loc),
            },
            "comment" | "diagnostic_comment" => opaque("comment", loc),
            other => opaque(format!("unsupported expression {other}"), loc),
        }
    }

    fn eval_string(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let raw = self.src(n);
        if raw.starts_with("'''") {
            // Multi-line strings have no escapes and no interpolation; a leading line break is
            // not part of the value.
            let inner = raw
                .strip_prefix("'''")
                .and_then(|s| s.strip_suffix("'''"))
                .unwrap_or("");
            let inner = inner
                .strip_prefix("\r\n")
                .or_else(|| inner.strip_prefix('\n'))
                .unwrap_or(inner);
            return Node::new(Value::Str(inner.to_string()), loc);
        }
        if raw.starts_with('$') {
            return self.eval_interpolated_multiline(n);
        }
        let mut c = n.walk();
        let parts: Vec<Ts<'t>> = n.named_children(&mut c).collect();
        let mut pieces = Vec::with_capacity(parts.len());
        for p in parts {
            match p.kind() {
                "string_content" => pieces.push(Value::Str(self.src(p).to_string())),
                "escape_sequence" => pieces.push(Value::Str(unescape(self.src(p)))),
                "interpolation" => pieces.push(match p.named_child(0) {
                    Some(e) => self.eval(e).value,
                    None => Value::opaque("empty interpolation"),
                }),
                _ => {}
            }
        }
        self.join_pieces(&pieces, loc)
    }

    /// `'a${x}b'` compiles to `format('a{0}b', x)`: the text is what ARM's `format` makes of
    /// each value, within the string limits.
    fn join_pieces(&self, pieces: &[Value], loc: Loc) -> Node {
        let mut text = Text::new(&self.shared.meter, loc);
        for v in pieces {
            if !text.push_value(v) {
                text.push_opaque("unknown object or array in a string");
            }
        }
        text.into_node()
    }

    /// `$'''…${x}…'''` (`n` dollars open the string and each interpolation): raw text, a
    /// leading line break dropped. `$` before an interpolation's `n` dollars, and quotes before
    /// the closing three, are part of the value but of the delimiter tokens in the tree.
    fn eval_interpolated_multiline(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let dollars = self.src(n).bytes().take_while(|&b| b == b'$').count();
        let mut c = n.walk();
        let parts: Vec<Ts<'t>> = n.children(&mut c).collect();
        // Literal text and interpolated values in order, joined as single-line strings are.
        let mut pieces = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            match p.kind() {
                "string_content" => {
                    let text = self.src(*p);
                    let text = match i {
                        1 => text
                            .strip_prefix("\r\n")
                            .or_else(|| text.strip_prefix('\n'))
                            .unwrap_or(text),
                        _ => text,
                    };
                    pieces.push(Value::Str(text.to_string()));
                }
                "interpolation" => {
                    if let Some(open) = p.child(0) {
                        let extra = self.src(open).len().saturating_sub(dollars + 1);
                        pieces.push(Value::Str("$".repeat(extra)));
                    }
                    pieces.push(match p.named_child(0) {
                        Some(e) => self.eval(e).value,
                        None => Value::opaque("empty interpolation"),
                    });
                }
                "'''" if i + 1 == parts.len() && i > 0 => {
                    let quotes = self.src(*p).len().saturating_sub(3);
                    pieces.push(Value::Str("'".repeat(quotes)));
                }
                _ => {}
            }
        }
        self.join_pieces(&pieces, loc)
    }

    pub fn eval_object(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let mut obj = Object::default();
        let mut unknown_spread = false;
        let mut c = n.walk();
        let props: Vec<Ts<'t>> = n.named_children(&mut c).collect();
        for p in props {
            if p.kind() == "spread_element" {
                let Some(operand) = spread_operand(p) else {
                    continue;
                };
                match self.eval(operand).value {
                    Value::Object(o) => {
                        for (k, v) in o.entries {
                            obj.insert(k, v);
                        }
                    }
                    Value::Null => {}
                    _ => unknown_spread = true,
                }
                continue;
            }
            if p.kind() != "object_property" {
                continue;
            }
            // Nested resource declarations are resources, not values.
            if first_named(p, "resource_declaration").is_some() {
                continue;
            }
            let Some(key_node) = p.named_child(0) else {
                continue;
            };
            let Some(val_node) = last_expression(p) else {
                continue;
            };
            if val_node.id() == key_node.id() {
                continue;
            }
            let key = self.eval_key(key_node);
            let value = self.eval(val_node);
            obj.insert(key, value);
        }
        if unknown_spread {
            // Any key may come from the spread: the object as a whole is unknown.
            return opaque("object spread of an unknown value", loc);
        }
        Node::new(Value::Object(obj), loc)
    }

    fn eval_key(&mut self, k: Ts<'t>) -> Key {
        let loc = self.loc(k);
        let name = match k.kind() {
            "string" => match self.eval_string(k).value {
                Value::Str(s) => s,
                Value::Sym(s) => s.to_string(),
                other => other.type_name().to_string(),
            },
            _ => self.src(k).trim_end_matches('?').to_string(),
        };
        Key { name, loc }
    }

    fn eval_array(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let mut items = Vec::new();
        let mut c = n.walk();
        let elems: Vec<Ts<'t>> = n.named_children(&mut c).collect();
        for e in elems {
            if matches!(e.kind(), "comment" | "decorators" | "diagnostic_comment") {
                continue;
            }
            if e.kind() == "spread_element" {
                let Some(operand) = spread_operand(e) else {
                    continue;
                };
                match self.eval(operand).value {
                    Value::Array(a) => items.extend(a),
                    Value::Null => {}
                    _ => return opaque("array spread of an unknown value", loc),
                }
            } else {
                items.push(self.eval(e));
            }
        }
        Node::new(Value::Array(items), loc)
    }

    fn eval_unary(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let op = n
            .child_by_field_name("operator")
            .map(|o| self.src(o))
            .unwrap_or("");
        let v = match n.child_by_field_name("argument") {
            Some(arg) => self.eval(arg),
            None => return opaque("unary operator", loc),
        };
        match op {
            // Compiled to `not(x)`.
            "!" => lazy::not(v, loc),
            "-" => match super::ops::negate(&v.value) {
                Some(n) => Node::new(n, loc),
                None => opaque("negation of a non-integer", loc),
            },
            _ => opaque(format!("operator {op}"), loc),
        }
    }

    /// Binary operators with the semantics (and, for unknowns, the canonical text) of the ARM
    /// functions the compiler turns them into: `==` equals, `!=` not(equals), `&&` and, `||`
    /// or, `??` coalesce, `+` add, `<` less, …
    fn eval_binary(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let op = n
            .child_by_field_name("operator")
            .map(|o| self.src(o))
            .unwrap_or("");
        let (Some(l), Some(r)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            return opaque("binary operator", loc);
        };
        let a = self.eval(l);
        let v = match op {
            "&&" | "||" => {
                let rest = std::iter::once_with(|| self.eval(r));
                lazy::logic(op == "&&", std::iter::once(a).chain(rest), loc)
            }
            "??" => {
                let rest = std::iter::once_with(|| self.eval(r));
                lazy::coalesce(std::iter::once(a).chain(rest), loc)
            }
            _ => {
                let b = self.eval(r);
                super::ops::binary(&self.ctx(), op, a, b, loc)
            }
        };
        relocate(v, loc)
    }

    fn eval_ternary(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let (Some(c), Some(t), Some(f)) = (
            n.child_by_field_name("condition"),
            n.child_by_field_name("consequence"),
            n.child_by_field_name("alternative"),
        ) else {
            return opaque("conditional", loc);
        };
        // Compiled to `if(c, a, b)`.
        let cond = self.eval(c);
        lazy::if_(self, cond, |ev| ev.eval(t), |ev| ev.eval(f), loc)
    }

    fn eval_member(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let (Some(obj), Some(prop)) = (
            n.child_by_field_name("object"),
            n.child_by_field_name("property"),
        ) else {
            return opaque("member", loc);
        };
        let prop = self.src(prop).to_string();
        let safe = {
            let mut c = n.walk();
            n.children(&mut c).any(|ch| ch.kind() == ".?")
        };
        if obj.kind() == "identifier"
            && let Some(v) = self.namespace_value(self.src(obj), &prop, loc)
        {
            return v;
        }
        // `sym.prop` on a resource or module symbol (or one of its loop instances).
        if let Some(v) = self.symbol_member(obj, &prop, loc) {
            return v;
        }
        if obj.kind() == "member_expression"
            && let Some(v) = self.symbol_member_path(n, loc)
        {
            return v;
        }
        let base = self.eval(obj);
        property(base, &prop, loc, safe)
    }

    fn eval_subscript(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let (Some(obj), Some(idx)) = (
            n.child_by_field_name("object"),
            n.child_by_field_name("index"),
        ) else {
            return opaque("subscript", loc);
        };
        let base = self.eval(obj);
        let mut i = self.eval(idx);
        // `a[^1]` counts from the end: the last item, as a negative index is to `subscript`.
        let mut c = n.walk();
        if n.children(&mut c).any(|ch| ch.kind() == "^")
            && let Value::Int(k) = i.value
        {
            i.value = Value::Int(k.saturating_neg());
        }
        subscript(base, i, loc)
    }

    fn eval_for(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let Some(body) = n.child_by_field_name("body") else {
            return opaque("for", loc);
        };
        let (item_var, index_var) = loop_vars(self, n);
        let Some(list) = loop_source(n) else {
            return opaque("for", loc);
        };
        let items = self.eval(list);
        let Some(items) = iterable(&items) else {
            return opaque("loop over an unknown collection", loc);
        };
        // Compiled to a `copy` loop: ARM's bounds.
        if items.len() > MAX_ITEMS {
            self.shared.meter.hit(Limit::ValueSize, loc);
            return opaque("loop too large", loc);
        }
        let mut out = Vec::new();
        let mut size = 0;
        for (i, item) in items.into_iter().enumerate() {
            let mark = self.locals.len();
            if let Some(v) = &item_var {
                self.locals.push((v.clone(), item));
            }
            if let Some(v) = &index_var {
                self.locals
                    .push((v.clone(), Node::new(Value::Int(i as i64), loc)));
            }
            let value = if body.kind() == "if_statement" {
                let cond = if_condition(body).map(|c| self.eval(c).value);
                match cond {
                    Some(Value::Bool(true)) => if_body(body).map(|b| self.eval(b)),
                    Some(Value::Bool(false)) => None,
                    _ => {
                        self.locals.truncate(mark);
                        return opaque("filtered loop with an unknown condition", loc);
                    }
                }
            } else {
                Some(self.eval(body))
            };
            self.locals.truncate(mark);
            size += value.as_ref().map_or(0, |v| nodes(&v.value));
            if size > MAX_VALUE_NODES {
                self.shared.meter.hit(Limit::ValueSize, loc);
                return opaque("value too large", loc);
            }
            out.extend(value);
        }
        Node::new(Value::Array(out), loc)
    }

    /// `parent::child` — evaluates to the child's symbol (resolved by the member access on it).
    fn eval_resource_expression(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        if let Some(r) = n.child_by_field_name("resource") {
            return self.eval_identifier(r);
        }
        opaque("resource expression", loc)
    }

    // ----- resource and module symbols -----

    /// The resource or module symbol an expression denotes, with its loop index if any:
    /// `kv`, `parent::child`, `kv[0]`, `kv[i]`.
    pub fn symbol_of(&mut self, n: Ts<'t>) -> Option<(String, DeclKind, Option<Option<usize>>)> {
        match n.kind() {
            "identifier" => {
                let name = self.src(n);
                if self.locals.iter().any(|(k, _)| k == name) {
                    return None;
                }
                let d = *self.decls.get(name)?;
                matches!(d.kind, DeclKind::Resource | DeclKind::Module)
                    .then(|| (self.symbol_key(name, &d), d.kind, None))
            }
            "resource_expression" => {
                let path: String = self.src(n).split_whitespace().collect();
                let d = *self.decls.get(path.as_str()).or_else(|| {
                    let r = n.child_by_field_name("resource")?;
                    self.decls.get(self.src(r))
                })?;
                (d.kind == DeclKind::Resource).then(|| (self.symbol_key(&path, &d), d.kind, None))
            }
            "subscript_expression" => {
                let obj = n.child_by_field_name("object")?;
                let (name, kind, None) = self.symbol_of(obj)? else {
                    return None;
                };
                let idx = n.child_by_field_name("index")?;
                let i = self.eval(idx);
                let i = i.as_i64().and_then(|i| usize::try_from(i).ok());
                Some((name, kind, Some(i)))
            }
            "parenthesized_expression" if n.named_child_count() == 1 => {
                self.symbol_of(n.named_child(0)?)
            }
            "non_null_expression" => self.symbol_of(n.child_by_field_name("expression")?),
            _ => None,
        }
    }

    fn symbol_member(&mut self, obj: Ts<'t>, prop: &str, loc: Loc) -> Option<Node> {
        let (sym, kind, index) = self.symbol_of(obj)?;
        self.refs.push(Ref {
            symbol: sym.clone(),
            index: index.flatten(),
        });
        Some(match kind {
            DeclKind::Resource => self.resource_member(&sym, index, prop, loc),
            _ => self.module_member(&sym, index, &[prop.to_string()], loc),
        })
    }

    /// `m.outputs.x` (the module case needs two property names at once).
    fn symbol_member_path(&mut self, n: Ts<'t>, loc: Loc) -> Option<Node> {
        let mut path = Vec::new();
        let mut cur = n;
        while cur.kind() == "member_expression" {
            path.push(self.src(cur.child_by_field_name("property")?).to_string());
            cur = cur.child_by_field_name("object")?;
        }
        path.reverse();
        if path.len() < 2 {
            return None;
        }
        let (sym, kind, index) = self.symbol_of(cur)?;
        if kind != DeclKind::Module || !path[0].eq_ignore_ascii_case("outputs") {
            return None;
        }
        self.refs.push(Ref {
            symbol: sym.clone(),
            index: index.flatten(),
        });
        let v = self.module_member(&sym, index, &path[..2], loc);
        let mut v = v;
        for p in &path[2..] {
            v = property(v, p, loc, true);
        }
        Some(v)
    }

    /// The instance a symbol use denotes: the only one of a declaration without loop, the
    /// indexed one, or none (unknown).
    pub fn pick<T>(list: &[T], looped: bool, index: Option<Option<usize>>) -> Option<&T> {
        match index {
            None if !looped && list.len() == 1 => list.first(),
            Some(Some(i)) => list.get(i),
            _ => None,
        }
    }

    fn resource_member(
        &mut self,
        sym: &str,
        index: Option<Option<usize>>,
        prop: &str,
        loc: Loc,
    ) -> Node {
        let insts = self.resource_instances(sym);
        let Some(inst) = Self::pick(&insts, self.is_loop_resource(sym), index) else {
            return opaque(format!("{sym}.{prop} (instance not known)"), loc);
        };
        match prop {
            "id" => Node::new(Value::from_symstr(inst.id.clone()), loc),
            "name" => relocate(inst.short_name.clone(), loc),
            "type" => Node::new(Value::Str(inst.ty.clone()), loc),
            "apiVersion" => match &inst.api {
                Some(a) => Node::new(Value::Str(a.clone()), loc),
                None => opaque("api version", loc),
            },
            _ => Node::new(
                Value::sym(Sym::ResourceProp {
                    id: inst.id.clone(),
                    path: vec![prop.to_string()],
                }),
                loc,
            ),
        }
    }

    fn module_member(
        &mut self,
        sym: &str,
        index: Option<Option<usize>>,
        path: &[String],
        loc: Loc,
    ) -> Node {
        let insts = self.module_instances(sym);
        let Some(inst) = Self::pick(&insts, self.is_loop_module(sym), index) else {
            return opaque(format!("{sym} (instance not known)"), loc);
        };
        match path {
            [p] if p == "name" => relocate(inst.name.clone(), loc),
            [p, out] if p.eq_ignore_ascii_case("outputs") => match &inst.outputs {
                Some(outputs) => match outputs.iter().find(|(k, _)| k == out) {
                    Some((_, v)) => v.clone(),
                    None => opaque(format!("module {sym} has no output {out}"), loc),
                },
                // A registry module or a module file that could not be read: the output is
                // what ARM's `reference(<deployment>).outputs.<x>.value` returns.
                None => Node::new(
                    Value::sym(Sym::ResourceProp {
                        id: inst.id.clone(),
                        path: vec![
                            "properties".into(),
                            "outputs".into(),
                            out.clone(),
                            "value".into(),
                        ],
                    }),
                    loc,
                ),
            },
            _ => opaque(format!("{sym}.{}", path.join(".")), loc),
        }
    }
}

// ----- value helpers -----

/// `base[i]`. Bicep's index from the end `a[^i]` reaches here as a negative index (see
/// `syntax`); it compiles to `indexFromEnd`, so it counts from the end of a known array.
pub fn subscript(base: Node, i: Node, loc: Loc) -> Node {
    let i = match (&base.value, &i.value) {
        (Value::Array(a), Value::Int(n)) if *n < 0 => {
            Node::new(Value::Int(a.len() as i64 + n), i.loc)
        }
        _ => i,
    };
    index(base, &i, loc, false)
}

/// The items a loop iterates: an array's elements, or an object's `{key, value}` pairs.
pub fn iterable(n: &Node) -> Option<Vec<Node>> {
    match &n.value {
        Value::Array(a) => Some(a.clone()),
        // Not valid Bicep (`items(o)` is), read as if it were written.
        Value::Object(o) => Some(crate::eval::functions::items_of(o, n.loc)),
        _ => None,
    }
}

pub fn unescape(esc: &str) -> String {
    match esc {
        "\\n" => "\n".into(),
        "\\r" => "\r".into(),
        "\\t" => "\t".into(),
        "\\\\" => "\\".into(),
        "\\'" => "'".into(),
        "\\$" => "$".into(),
        _ if esc.starts_with("\\u{") => {
            u32::from_str_radix(esc.trim_start_matches("\\u{").trim_end_matches('}'), 16)
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        }
        other => other.trim_start_matches('\\').to_string(),
    }
}

// ----- tree helpers -----

/// An identifier that names something rather than refers to it: an object key, a loop or
/// lambda variable, a called function's name, a declaration's own name. `p` and `g` are its
/// parent and grandparent.
fn is_binding_or_key(n: Ts, p: Option<Ts>, g: Option<Ts>) -> bool {
    let Some(p) = p else { return false };
    match p.kind() {
        "object_property" => p.named_child(0).map(|k| k.id()) == Some(n.id()),
        "for_statement" => p.child_by_field_name("initializer").map(|k| k.id()) == Some(n.id()),
        "for_loop_parameters" | "lambda_expression" => true,
        "call_expression" => p.child_by_field_name("function").map(|k| k.id()) == Some(n.id()),
        "parenthesized_expression" => g.is_some_and(|g| g.kind() == "lambda_expression"),
        _ => false,
    }
}

pub fn first_named<'t>(n: Ts<'t>, kind: &str) -> Option<Ts<'t>> {
    let mut c = n.walk();
    n.named_children(&mut c).find(|ch| ch.kind() == kind)
}

/// The expression after `...`.
fn spread_operand(spread: Ts) -> Option<Ts> {
    let mut c = spread.walk();
    spread.named_children(&mut c).find(|ch| !ch.is_extra())
}

/// The last named child that is an expression (a declaration's value, a property's value).
pub fn last_expression(n: Ts) -> Option<Ts> {
    let mut c = n.walk();
    let mut last = None;
    for ch in n.named_children(&mut c) {
        if !matches!(
            ch.kind(),
            "comment" | "diagnostic_comment" | "decorators" | "type" | "primitive_type"
        ) {
            last = Some(ch);
        }
    }
    // `param p string` (no default): the last named child is the name.
    let mut c2 = n.walk();
    let after_eq = n
        .children(&mut c2)
        .any(|ch| matches!(ch.kind(), "=" | ":" | "=>"));
    if !after_eq {
        return None;
    }
    last
}

/// The body object of a resource or module declaration (through `if` and `for`).
pub fn resource_object(n: Ts) -> Option<Ts> {
    let mut c = n.walk();
    let v = n
        .named_children(&mut c)
        .find(|ch| matches!(ch.kind(), "object" | "if_statement" | "for_statement"))?;
    unwrap_body(v)
}

pub fn unwrap_body(v: Ts) -> Option<Ts> {
    match v.kind() {
        "object" => Some(v),
        "if_statement" => if_body(v),
        "for_statement" => unwrap_body(v.child_by_field_name("body")?),
        _ => None,
    }
}

pub fn if_condition(n: Ts) -> Option<Ts> {
    let p = first_named(n, "parenthesized_expression")?;
    p.named_child(0)
}

pub fn if_body(n: Ts) -> Option<Ts> {
    first_named(n, "object")
}

/// The loop variables of a `for`: `for x in`, `for (x, i) in`.
pub fn loop_vars(ev: &Eval, n: Ts) -> (Option<String>, Option<String>) {
    if let Some(init) = n.child_by_field_name("initializer") {
        return (Some(ev.src(init).to_string()), None);
    }
    if let Some(p) = first_named(n, "for_loop_parameters") {
        let v = first_named(p, "loop_variable").map(|x| ev.src(x).to_string());
        let i = first_named(p, "loop_enumerator").map(|x| ev.src(x).to_string());
        return (v, i);
    }
    (None, None)
}

/// The collection a `for` iterates (the expression after `in`).
pub fn loop_source(n: Ts) -> Option<Ts> {
    let mut c = n.walk();
    let mut after_in = false;
    for ch in n.children(&mut c) {
        if after_in && ch.is_named() && ch.kind() != "comment" {
            return Some(ch);
        }
        if ch.kind() == "in" {
            after_in = true;
        }
    }
    None
}

/// A named value used at `at`. A value located at its whole declaration is written nowhere in
/// particular (a parameter without value, a variable without expression): it is located at its
/// use. Any other keeps where it is written and records the use.
fn used(n: Node, declaration: Loc, at: Loc) -> Node {
    if n.loc == declaration {
        relocate(n, at)
    } else {
        n.used_at(at)
    }
}
