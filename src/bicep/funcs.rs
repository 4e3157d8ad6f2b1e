//! Bicep's built-in functions (the ones real templates use to build names, ids and keys) and
//! user-defined functions. Unknown arguments give unknown results; ids and scope functions give
//! the same canonical symbols as the ARM evaluator.

use super::eval::{Eval, expr, first_named, opaque, relocate};
use crate::model::{Key, Node, Object, Scope, Sym, SymStr, Value, resource_id};
use crate::source::Loc;
use tree_sitter::Node as Ts;

impl<'t, 's> Eval<'t, 's> {
    pub fn eval_call(&mut self, n: Ts<'t>) -> Node {
        let loc = self.loc(n);
        let Some(f) = n.child_by_field_name("function") else {
            return opaque("call", loc);
        };
        let name = match f.kind() {
            "identifier" => self.src(f).to_string(),
            // `az.resourceGroup()`, `sys.concat()`; other namespaces are imports.
            "member_expression" => {
                let obj = f.child_by_field_name("object");
                let ns = obj.map(|o| self.src(o)).unwrap_or("");
                let p = f
                    .child_by_field_name("property")
                    .map(|p| self.src(p))
                    .unwrap_or("");
                if ns == "az" || ns == "sys" {
                    p.to_string()
                } else if self.namespaces.contains_key(ns) {
                    let args = self.eval_arguments(n);
                    return self
                        .imported_call(Some(ns), p, args, loc)
                        .unwrap_or_else(|| opaque("imported function", loc));
                } else if let Some((symbol, _, index)) = obj.and_then(|o| self.symbol_of(o)) {
                    // `sa.listKeys()`: a runtime value, but still a dependency on `sa`.
                    self.refs.push(super::eval::Ref {
                        symbol,
                        index: index.flatten(),
                    });
                    return opaque(format!("{ns}.{p}()"), loc);
                } else {
                    return opaque(format!("imported function {ns}.{p}"), loc);
                }
            }
            _ => return opaque("call of an expression", loc),
        };
        let arg_nodes: Vec<Ts<'t>> = match n.child_by_field_name("arguments") {
            Some(a) => {
                let mut c = a.walk();
                a.named_children(&mut c)
                    .filter(|x| x.kind() != "comment")
                    .collect()
            }
            None => Vec::new(),
        };
        if let Some(d) = self.decls.get(name.as_str()).copied()
            && d.kind == super::eval::DeclKind::Func
        {
            return self.call_user_function(d.node, &arg_nodes, loc);
        }
        if self.imports.contains_key(name.as_str()) {
            let args: Vec<Node> = arg_nodes.iter().map(|a| self.eval(*a)).collect();
            if let Some(v) = self.imported_call(None, &name, args, loc) {
                return v;
            }
        }
        let lname = name.to_ascii_lowercase();
        if lname == "reduce" {
            return self.call_reduce(&arg_nodes, loc);
        }
        if matches!(lname.as_str(), "map" | "filter") {
            return self.call_lambda_function(&lname, &arg_nodes, loc);
        }
        let args: Vec<Node> = arg_nodes.iter().map(|a| self.eval(*a)).collect();
        if let Some(v) = self.builtin(&lname, &args, loc) {
            return v;
        }
        // Every other built-in is an ARM template function (Bicep emits it verbatim): one
        // implementation for both front ends.
        let args = match crate::arm::functions::call(&lname, &name, args, loc) {
            Ok(v) => return v,
            Err(args) => args,
        };
        if is_deterministic(&lname) {
            // A deterministic function of unknowns: the canonical text the ARM evaluator gives
            // the compiled expression, so equal expressions compare equal across front ends.
            expr_of(&lname, &args, loc)
        } else {
            opaque(format!("{name}(…)"), loc)
        }
    }

    fn eval_arguments(&mut self, call: Ts<'t>) -> Vec<Node> {
        let Some(a) = call.child_by_field_name("arguments") else {
            return Vec::new();
        };
        let mut c = a.walk();
        let nodes: Vec<Ts<'t>> = a
            .named_children(&mut c)
            .filter(|x| x.kind() != "comment")
            .collect();
        nodes.into_iter().map(|x| self.eval(x)).collect()
    }

    fn call_user_function(&mut self, f: Ts<'t>, args: &[Ts<'t>], loc: Loc) -> Node {
        let values: Vec<Node> = args.iter().map(|a| self.eval(*a)).collect();
        self.call_user_function_values(f, values, loc)
    }

    pub(super) fn call_user_function_values(
        &mut self,
        f: Ts<'t>,
        values: Vec<Node>,
        loc: Loc,
    ) -> Node {
        let params: Vec<String> = first_named(f, "parameters")
            .map(|ps| {
                let mut c = ps.walk();
                ps.named_children(&mut c)
                    .filter_map(|p| first_named(p, "identifier"))
                    .map(|i| self.src(i).to_string())
                    .collect()
            })
            .unwrap_or_default();
        let Some(body) = super::eval::last_expression(f) else {
            return opaque("function without body", loc);
        };
        // A function sees only its parameters.
        let saved = std::mem::take(&mut self.locals);
        self.locals = params.into_iter().zip(values).collect();
        let v = self.eval(body);
        self.locals = saved;
        relocate(v, loc)
    }

    /// `map(items, x => …)` and `filter(items, x => …)` over a known array.
    fn call_lambda_function(&mut self, name: &str, args: &[Ts<'t>], loc: Loc) -> Node {
        let [items, lambda] = args else {
            return opaque(format!("{name}(…)"), loc);
        };
        let items = self.eval(*items);
        let Some(items) = items.as_array().map(|a| a.to_vec()) else {
            return opaque(format!("{name} over an unknown array"), loc);
        };
        let Some((params, body)) = self.lambda_parts(*lambda) else {
            return opaque(format!("{name} with an unsupported lambda"), loc);
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let mark = self.locals.len();
            if let Some(p) = params.first() {
                self.locals.push((p.clone(), item.clone()));
            }
            if let Some(p) = params.get(1) {
                self.locals
                    .push((p.clone(), Node::new(Value::Int(i as i64), loc)));
            }
            let v = self.eval(body);
            self.locals.truncate(mark);
            if name == "map" {
                out.push(v);
            } else {
                match v.value {
                    Value::Bool(true) => out.push(item),
                    Value::Bool(false) => {}
                    _ => return opaque("filter with an unknown condition", loc),
                }
            }
        }
        Node::new(Value::Array(out), loc)
    }

    /// `reduce(items, initial, (acc, x) => …)` over a known array.
    fn call_reduce(&mut self, args: &[Ts<'t>], loc: Loc) -> Node {
        let [items, initial, lambda] = args else {
            return opaque("reduce(…)", loc);
        };
        let items = self.eval(*items);
        let Some(items) = items.as_array().map(|a| a.to_vec()) else {
            return opaque("reduce over an unknown array", loc);
        };
        let mut acc = self.eval(*initial);
        let Some((params, body)) = self.lambda_parts(*lambda) else {
            return opaque("reduce with an unsupported lambda", loc);
        };
        let [p_acc, p_item, ..] = params.as_slice() else {
            return opaque("reduce with an unsupported lambda", loc);
        };
        for item in items {
            let mark = self.locals.len();
            self.locals.push((p_acc.clone(), acc));
            self.locals.push((p_item.clone(), item));
            let v = self.eval(body);
            self.locals.truncate(mark);
            acc = v;
        }
        relocate(acc, loc)
    }

    /// A lambda's parameters and body.
    fn lambda_parts(&self, n: Ts<'t>) -> Option<(Vec<String>, Ts<'t>)> {
        if n.kind() != "lambda_expression" {
            return None;
        }
        let head = n.named_child(0)?;
        let params = match head.kind() {
            "identifier" => vec![self.src(head).to_string()],
            "parenthesized_expression" => {
                let mut c = head.walk();
                head.named_children(&mut c)
                    .map(|p| self.src(p).to_string())
                    .collect()
            }
            _ => return None,
        };
        let last = u32::try_from(n.named_child_count().checked_sub(1)?).ok()?;
        let body = n.named_child(last)?;
        Some((params, body))
    }

    /// The object `resourceGroup(…)` returns (also used as a module or resource scope).
    pub fn resource_group_object(&self, sub: SymStr, rg: SymStr, loc: Loc) -> Node {
        let mut id = SymStr::lit("/subscriptions/");
        id.append(&sub);
        id.push_lit("/resourceGroups/");
        id.append(&rg);
        object(
            &[
                ("id", Value::from_symstr(id)),
                ("name", Value::from_symstr(rg)),
                ("subscriptionId", Value::from_symstr(sub)),
                ("location", Value::Sym(expr("resourceGroup().location"))),
            ],
            loc,
        )
    }

    fn current_subscription(&self) -> SymStr {
        self.scope
            .subscription
            .clone()
            .unwrap_or_else(|| expr("subscription().subscriptionId"))
    }

    fn builtin(&mut self, name: &str, a: &[Node], loc: Loc) -> Option<Node> {
        let v = |v: Value| Some(Node::new(v, loc));
        match (name, a.len()) {
            ("resourcegroup", 0) => {
                let rg = self
                    .scope
                    .resource_group
                    .clone()
                    .unwrap_or_else(|| expr("resourceGroup().name"));
                Some(self.resource_group_object(self.current_subscription(), rg, loc))
            }
            ("resourcegroup", 1) => {
                let rg = a[0].value.to_symstr()?;
                Some(self.resource_group_object(self.current_subscription(), rg, loc))
            }
            ("resourcegroup", 2) => {
                let sub = a[0].value.to_symstr()?;
                let rg = a[1].value.to_symstr()?;
                Some(self.resource_group_object(sub, rg, loc))
            }
            ("subscription", 0 | 1) => {
                let sub = match a.first() {
                    Some(x) => x.value.to_symstr()?,
                    None => self.current_subscription(),
                };
                let mut id = SymStr::lit("/subscriptions/");
                id.append(&sub);
                Some(object(
                    &[
                        ("id", Value::from_symstr(id)),
                        ("subscriptionId", Value::from_symstr(sub)),
                        ("tenantId", Value::Sym(expr("subscription().tenantId"))),
                    ],
                    loc,
                ))
            }
            ("tenant", 0) => Some(object(
                &[("tenantId", Value::Sym(expr("tenant().tenantId")))],
                loc,
            )),
            ("deployment", 0) => Some(object(
                &[
                    ("name", Value::Sym(expr("deployment().name"))),
                    ("location", Value::Sym(expr("deployment().location"))),
                ],
                loc,
            )),
            ("environment", 0) => v(Value::Sym(expr("environment()"))),
            ("resourceid", _) => self.resource_id_fn(a, loc, IdKind::ResourceGroup),
            ("subscriptionresourceid", _) => self.resource_id_fn(a, loc, IdKind::Subscription),
            ("coalesce", _) => {
                for (i, x) in a.iter().enumerate() {
                    match x.value {
                        Value::Null => continue,
                        // The last candidate is the result whatever it is (as ARM).
                        _ if i + 1 == a.len() => return Some(x.clone()),
                        ref v if crate::arm::eval::known_non_null(v) => return Some(x.clone()),
                        // The unknown may be null: the canonical rest of the call (as ARM).
                        Value::Sym(_) => return Some(expr_of("coalesce", &a[i..], loc)),
                        _ => return Some(x.clone()),
                    }
                }
                Some(Node::null(loc))
            }
            ("any", 1) => Some(a[0].clone()),
            _ => None,
        }
    }

    fn resource_id_fn(&self, a: &[Node], loc: Loc, kind: IdKind) -> Option<Node> {
        // The type is the first argument that looks like `Namespace/type`; what comes before it
        // is the subscription and/or resource group.
        let ty_at = a.iter().position(|x| {
            x.as_str()
                .is_some_and(|t| t.contains('/') && !t.starts_with('/'))
        })?;
        let ty = a[ty_at].as_str()?;
        let before: Option<Vec<SymStr>> = a[..ty_at].iter().map(|x| x.value.to_symstr()).collect();
        let before = before?;
        let names: Option<Vec<SymStr>> =
            a[ty_at + 1..].iter().map(|x| x.value.to_symstr()).collect();
        let names = names?;
        let sub = self.current_subscription();
        let scope = match (kind, before.as_slice()) {
            (IdKind::ResourceGroup, []) => Scope {
                subscription: Some(sub),
                resource_group: Some(
                    self.scope
                        .resource_group
                        .clone()
                        .unwrap_or_else(|| expr("resourceGroup().name")),
                ),
            },
            (IdKind::ResourceGroup, [rg]) => Scope {
                subscription: Some(sub),
                resource_group: Some(rg.clone()),
            },
            (IdKind::ResourceGroup, [s, rg]) => Scope {
                subscription: Some(s.clone()),
                resource_group: Some(rg.clone()),
            },
            (IdKind::Subscription, []) => Scope {
                subscription: Some(sub),
                resource_group: None,
            },
            (IdKind::Subscription, [s]) => Scope {
                subscription: Some(s.clone()),
                resource_group: None,
            },
            _ => return None,
        };
        Some(Node::new(
            Value::from_symstr(resource_id(&scope, ty, &names)),
            loc,
        ))
    }
}

#[derive(Clone, Copy)]
enum IdKind {
    ResourceGroup,
    Subscription,
}

fn object(entries: &[(&str, Value)], loc: Loc) -> Node {
    let mut o = Object::default();
    for (k, v) in entries {
        o.insert(
            Key {
                name: (*k).to_string(),
                loc,
            },
            Node::new(v.clone(), loc),
        );
    }
    Node::new(Value::Object(o), loc)
}

use crate::model::value::canon;

/// `Sym::Expr("name(args)")` for a deterministic function of values some of which are unknown;
/// opaque when an argument has no identity.
pub(super) fn expr_of(name: &str, args: &[Node], loc: Loc) -> Node {
    let mut text = String::new();
    text.push_str(name);
    text.push('(');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        if !canon(&a.value, &mut text) {
            return opaque(format!("{name}() of an unknown"), loc);
        }
    }
    text.push(')');
    Node::new(Value::sym(Sym::Expr(text)), loc)
}

/// Functions whose result depends only on their arguments (and the deployment's scope).
fn is_deterministic(lname: &str) -> bool {
    !(matches!(
        lname,
        "utcnow"
            | "newguid"
            | "reference"
            | "deployer"
            | "getsecret"
            | "loadtextcontent"
            | "loadjsoncontent"
            | "loadfileasbase64"
            | "loadyamlcontent"
    ) || lname.starts_with("list"))
}
