//! Compile-time imports of exported variables and functions from local files:
//! `import { x, f as g } from './shared.bicep'` and `import * as ns from './shared.bicep'`.
//! The imported declaration is evaluated in its own file (which joins the unit's sources); a
//! variable imported from an ARM JSON template is evaluated by the ARM front end;
//! registry imports (`br:`, `br/`, `ts:`) and types are not values and stay unknown. An
//! imported variable is evaluated once per unit and scope, however many references (and files
//! along an import chain) use it.

use super::eval::{Eval, opaque, relocate};
use crate::eval::limits::{Limit, MAX_IMPORT_CHAIN};
use crate::eval::value::nodes;
use crate::model::{Node, Scope};
use crate::source::Loc;
use std::collections::HashMap;
use tree_sitter::Node as Ts;

fn is_local(path: &str) -> bool {
    !(path.starts_with("br:") || path.starts_with("br/") || path.starts_with("ts:"))
}

/// What to do in the imported file.
enum Want<'a> {
    Value(&'a str),
    Call(&'a str, Vec<Node>),
}

impl<'t, 's> Eval<'t, 's> {
    /// Record an `import … from '…'` statement (an imported name may be quoted:
    /// `import {'a-b' as ab} from '…'`).
    pub fn collect_import(&mut self, n: Ts<'t>) {
        // The path is the string after `from`, the last child.
        let Some(string) = n
            .named_child(n.named_child_count().saturating_sub(1) as u32)
            .filter(|s| s.kind() == "string")
        else {
            return;
        };
        let path = self.src(string).trim_matches('\'');
        if !is_local(path) {
            return;
        }
        let site = self.loc(string);
        self.shared
            .import_sites
            .insert((self.file, path.to_string()), site);
        let mut c = n.walk();
        let children: Vec<Ts<'t>> = n.children(&mut c).collect();
        if children.iter().any(|ch| ch.kind() == "*") {
            if let Some(ns) = children.iter().find(|ch| ch.kind() == "identifier") {
                self.namespaces
                    .insert(self.src(*ns).to_string(), path.to_string());
            }
            return;
        }
        let from = children.iter().position(|ch| ch.kind() == "from");
        let mut i = 0;
        while i < from.unwrap_or(children.len()) {
            if matches!(children[i].kind(), "identifier" | "string") {
                let remote = self.src(children[i]).trim_matches('\'').to_string();
                let local = if children.get(i + 1).map(|c| c.kind()) == Some("as") {
                    i += 2;
                    children
                        .get(i)
                        .map(|c| self.src(*c).to_string())
                        .unwrap_or_else(|| remote.clone())
                } else {
                    remote.clone()
                };
                self.imports.insert(local, (path.to_string(), remote));
            }
            i += 1;
        }
    }

    /// The value of an imported variable, or `None` if `name` is not imported.
    pub fn imported_value(&mut self, name: &str, loc: Loc) -> Option<Node> {
        let (path, remote) = self.imports.get(name)?.clone();
        Some(self.in_imported_file(&path, Want::Value(&remote), loc))
    }

    /// `ns.x` for `import * as ns`.
    pub fn namespace_value(&mut self, ns: &str, name: &str, loc: Loc) -> Option<Node> {
        let path = self.namespaces.get(ns)?.clone();
        Some(self.in_imported_file(&path, Want::Value(name), loc))
    }

    /// A call of an imported function (`f(…)` or `ns.f(…)`), or `None` if not imported.
    pub fn imported_call(
        &mut self,
        ns: Option<&str>,
        name: &str,
        args: Vec<Node>,
        loc: Loc,
    ) -> Option<Node> {
        let (path, remote) = match ns {
            Some(ns) => (self.namespaces.get(ns)?.clone(), name.to_string()),
            None => self.imports.get(name)?.clone(),
        };
        Some(self.in_imported_file(&path, Want::Call(&remote, args), loc))
    }

    fn in_imported_file(&mut self, path: &str, want: Want, loc: Loc) -> Node {
        if self.dir.is_none() {
            return opaque("import without a directory", loc);
        }
        // Refusals are reported at the import statement, not at each use.
        let site = self
            .shared
            .import_sites
            .get(&(self.file, path.to_string()))
            .copied()
            .unwrap_or(loc);
        let Some(file) = super::resources::resolve_reference(self, path, site, "") else {
            return opaque(format!("import from {path} not readable"), loc);
        };
        if self.shared.module_stack.iter().any(|p| p == &file) {
            return opaque("cyclic import", loc);
        }
        if self.shared.module_stack.len() > MAX_IMPORT_CHAIN {
            self.shared.meter.hit(Limit::Nesting, loc);
            return opaque("imports nested too deeply", loc);
        }
        // Compile-time imports are inlined into the importing template, so their values depend
        // on its scope (`resourceGroup()`), and on nothing else.
        let memo_key = match &want {
            Want::Value(name) => Some((file.clone(), scope_key(&self.scope), name.to_string())),
            Want::Call(..) => None,
        };
        if let Some((n, size)) = memo_key.as_ref().and_then(|k| self.shared.imported.get(k)) {
            if !self.shared.meter.produced(*size, loc) {
                return opaque("evaluation budget spent", loc);
            }
            return relocate(n.clone(), loc);
        }
        if super::resources::is_json_module(path) {
            return self.import_from_json_template(&file, path, want, loc);
        }
        let Some(loaded) = super::resources::load_cached(self, &file, path, site, "") else {
            return opaque(format!("import from {path} not readable"), loc);
        };
        let (file_id, text, parsed) = loaded;
        self.shared.module_stack.push(file.clone());
        let setup = super::FileSetup {
            inputs: HashMap::new(),
            scope: self.scope.clone(),
            // Like a module: its own parameters (none are passed) are not the caller's.
            parent_deployment: self.parent_deployment.or(Some(usize::MAX)),
            presence: self.presence,
            pointer_prefix: self.pointer_prefix.clone(),
        };
        let mut child = Eval::new(
            self.shared,
            file_id,
            &text,
            file.parent().map(|p| p.to_path_buf()),
            setup,
        );
        child.collect(&parsed.statements());
        let v = match want {
            Want::Value(name) => child.value_by_name(name, loc),
            Want::Call(name, args) => child.call_by_name(name, args, loc),
        };
        self.shared.module_stack.pop();
        if let Some(k) = memo_key {
            let size = nodes(&v.value);
            self.shared.imported.insert(k, (v.clone(), size));
        }
        relocate(v, loc)
    }
}

impl Eval<'_, '_> {
    /// An import from an ARM JSON template (compiled Bicep with `@export()`): a variable is
    /// the template's variable, evaluated by the ARM front end in this file's scope (imports are
    /// inlined). Its exported functions are not evaluated (unknown). A file that is not a
    /// readable template is a BICEP001 note, its values unknown.
    fn import_from_json_template(
        &mut self,
        file: &std::path::Path,
        path: &str,
        want: Want,
        loc: Loc,
    ) -> Node {
        let (file_id, template) = match super::resources::load_json_cached(self, file, path) {
            Ok(loaded) => loaded,
            Err(why) => {
                self.note_json_not_followed(
                    loc,
                    &format!("import from a JSON template not followed: {why}; its values are unknown here"),
                );
                return opaque(format!("import from {path} not readable"), loc);
            }
        };
        match want {
            Want::Value(name) => {
                let mut frame = crate::arm::eval::Frame::with_meter(
                    file_id,
                    self.scope.clone(),
                    self.shared.meter.clone(),
                );
                frame.declare(&template);
                relocate(frame.variable(name, loc), loc)
            }
            Want::Call(name, _) => opaque(format!("function {name} imported from {path}"), loc),
        }
    }
}

/// A deployment scope as a memo key.
fn scope_key(s: &Scope) -> String {
    let part = |p: &Option<crate::model::SymStr>| p.as_ref().map(|x| x.to_string());
    format!("{:?}/{:?}", part(&s.subscription), part(&s.resource_group))
}
