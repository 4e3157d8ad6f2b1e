//! Function calls: Bicep's built-in functions are ARM template functions (the compiler emits
//! them verbatim), so they are the evaluator core's library ([`crate::eval::functions`]); this
//! module adds what is Bicep syntax: `az.`/`sys.` namespaces, calls of imported functions,
//! user-defined functions and lambdas (`map`, `filter`, `reduce`).

use super::eval::{Eval, first_named, opaque, relocate};
use crate::eval::functions;
use crate::eval::lazy;
use crate::eval::limits::{Limit, MAX_CALL_DEPTH, MAX_VALUE_NODES};
use crate::eval::value::nodes;
use crate::model::{Node, Value};
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
        match lname.as_str() {
            "reduce" => return self.call_reduce(&arg_nodes, loc),
            "map" | "filter" => return self.call_lambda_function(&lname, &arg_nodes, loc),
            "coalesce" => {
                return lazy::coalesce(arg_nodes.iter().map(|a| self.eval(*a)), loc);
            }
            // `any(x)` only changes the type checker's view of `x`; the compiler drops it.
            "any" if arg_nodes.len() == 1 => return self.eval(arg_nodes[0]),
            _ => {}
        }
        // Every other built-in is an ARM template function: one implementation for both front
        // ends.
        let args: Vec<Node> = arg_nodes.iter().map(|a| self.eval(*a)).collect();
        match functions::call(&self.ctx(), &lname, &name, args, loc) {
            Ok(v) => v,
            Err(_) => functions::unmodelled(&name, loc),
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
        if self.call_depth >= MAX_CALL_DEPTH {
            self.shared.meter.hit(Limit::CallDepth, loc);
            return opaque("user function recursion too deep", loc);
        }
        if !self.shared.meter.call(loc) {
            return opaque("too many function calls", loc);
        }
        // A function sees only its parameters.
        let saved = std::mem::take(&mut self.locals);
        self.locals = params.into_iter().zip(values).collect();
        self.call_depth += 1;
        let v = self.eval(body);
        self.call_depth -= 1;
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
        let mut size = 0;
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
                // Each item may be large: stop at the size of one value, not after.
                size += nodes(&v.value);
                if size > MAX_VALUE_NODES {
                    self.shared.meter.hit(Limit::ValueSize, loc);
                    return opaque("value too large", loc);
                }
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
}
