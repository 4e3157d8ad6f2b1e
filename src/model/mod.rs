//! The format-neutral resource model the rules run on.
//!
//! ARM JSON (`crate::arm`), Bicep (`crate::bicep`) and the generator all end here: a list of
//! resources with their full type, evaluated body ([`Node`]s that remember their source
//! location), canonical id, condition and resolved dependencies. Rules never see the source
//! format.

mod derived;
mod index;
pub mod intent;
pub mod lookup;
#[cfg(test)]
pub mod testing;
pub mod value;

pub use index::same_key;
pub use intent::{CloudIntent, Intents, PreviousKeyVersions, RotationIntent, Spelling};
pub use value::{Key, Node, Object, Part, Sym, SymStr, Value};

use crate::source::Loc;

/// Whether a resource is deployed: declared unconditionally (or with a condition that evaluates to
/// true), or behind a condition the tool cannot evaluate. Resources whose condition is known to be
/// false are not in the model at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Always,
    IfDeployed,
}

#[derive(Clone, Debug)]
pub struct Resource {
    /// Full type, e.g. `Microsoft.KeyVault/vaults/accessPolicies` (as written; compare with
    /// [`Resource::is_type`], which ignores case).
    pub ty: String,
    pub api_version: Option<String>,
    /// Full name as ARM sees it (`vault/add` for a child), evaluated.
    pub name: Node,
    /// Canonical resource id (see [`resource_id`]).
    pub id: SymStr,
    /// Bicep symbolic name or ARM `languageVersion 2.0` key.
    pub symbolic_name: Option<String>,
    /// Declared `existing`: a reference, not deployed by this template.
    pub existing: bool,
    pub presence: Presence,
    /// Direct dependencies (indexes into [`Model::resources`]), explicit or implicit (parent,
    /// Bicep symbolic references).
    pub depends_on: Vec<usize>,
    /// For `Microsoft.Resources/deployments`: the resources its template declares.
    pub contains: Vec<usize>,
    /// For `Microsoft.Resources/deployments`: why the tool could not look into its template
    /// (`contains` then holds nothing). `None` when the template was seen, even if it declares
    /// nothing (AVM's telemetry deployment, `"resources": []`).
    pub unseen: Option<Unseen>,
    /// The deployment whose template declares this resource (None at top level).
    pub parent_deployment: Option<usize>,
    /// The evaluated resource object: `properties`, `sku`, `identity`, `location`, `scope`, …
    pub body: Node,
    /// Where resource-level findings point (the type string or the resource declaration).
    pub loc: Loc,
    /// JSON pointer (ARM) or path (Bicep) of the resource declaration, for machine output.
    pub pointer: String,
}

/// Why the template of a deployment (an ARM nested or linked deployment, a Bicep module) is not
/// in the model. What such a deployment deploys is unknown: a grant may hide there, so rules
/// that conclude from the absence of a resource must say they could not verify it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unseen {
    /// Fetched by Azure at deployment time, and the tool never uses the network: a
    /// `templateLink.uri`, a template spec, a Bicep registry module (`br:`, `br/public:`).
    Remote(String),
    /// A value the tool cannot evaluate: `template` or `relativePath` from a parameter.
    Unknown(String),
    /// A local file that could not be read or parsed.
    Unreadable(String),
    /// A kind of template the tool does not follow, or a limit of the resource policy.
    NotFollowed(String),
}

impl std::fmt::Display for Unseen {
    /// The words that finish "whose template is …".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unseen::Remote(what) => write!(f, "remote ({what})"),
            Unseen::Unknown(what) => write!(f, "not known ({what})"),
            Unseen::Unreadable(what) => write!(f, "unreadable ({what})"),
            Unseen::NotFollowed(what) => write!(f, "not followed ({what})"),
        }
    }
}

/// An in-source suppression (`metadata.acr-cmk.ignore` in ARM, `#disable-next-line` in Bicep).
#[derive(Clone, Debug)]
pub struct Suppression {
    /// The codes it names, upper-cased; empty means every code (Bicep `#disable-diagnostics`
    /// without codes).
    pub codes: Vec<SuppressedCode>,
    pub reason: Option<String>,
    pub scope: SuppressionScope,
    /// Where the suppression is written (a suppression without a reason is reported there).
    pub loc: Loc,
    /// The syntax is shared with another tool, so codes that are not acr-cmk's may be its
    /// (Bicep's `#disable-next-line BCP081 no-unused-params`); `metadata."acr-cmk"` names only
    /// acr-cmk's rules.
    pub shared: bool,
}

/// One code a suppression names, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressedCode {
    /// Upper-cased: a rule code, or a rule name (`TASKS-LOG-RETENTION`).
    pub code: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuppressionScope {
    /// Every finding of the unit.
    All,
    /// Findings on this resource (index into [`Model::resources`]).
    Resource(usize),
    /// Findings whose location starts inside this byte range of this file.
    Range {
        file: crate::source::FileId,
        start: u32,
        end: u32,
    },
}

/// Everything the rules need about one unit (a template with its parameters, or a Bicep file with
/// its modules).
///
/// Lookups by id and by type go through an index built on the first lookup, so the rules' work
/// per registry does not grow with the number of resources. The front ends build the model
/// first and look nothing up; a model must not change once it has been looked into (a change
/// in the number of resources is detected and answered by scanning).
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub resources: Vec<Resource>,
    pub suppressions: Vec<Suppression>,
    /// What the source states beyond resource properties (a rotation mode, the target cloud).
    pub intents: Intents,
    /// How the source names properties where it does not write the model's paths (the spec).
    pub spelling: Vec<Spelling>,
    index: std::sync::OnceLock<index::Index>,
    derived: derived::Derived,
    /// Where the template or parameters files break the official schema of their kind
    /// (SCH002); only the ARM JSON front end has such files.
    pub skeleton: Vec<SkeletonError>,
    /// Statements skipped for a syntax error (Bicep recovers statement by statement): what
    /// depends on them is unknown, and what they declare is not in the model.
    pub broken: Vec<BrokenStatement>,
}

/// A top-level statement with a syntax error, skipped (its BICEP000 is reported).
#[derive(Clone, Debug)]
pub struct BrokenStatement {
    /// The symbol it declares, when it is a declaration whose name is readable.
    pub symbol: Option<String>,
    /// What it is, in words: "resource `pol`", "a statement".
    pub what: String,
    /// Where its syntax error is, and that place as `line:column` for messages.
    pub error: Loc,
    pub at: String,
    /// It may declare resources (a resource, a module, or a statement of unknown kind): a
    /// grant may hide there.
    pub may_declare_resources: bool,
    /// Resources (indexes into [`Model::resources`]) whose evaluation referred to it.
    pub used_by: Vec<usize>,
}

impl BrokenStatement {
    /// The reason of the unknown (a [`Sym::Opaque`]) that a reference to `name`, a symbol of a
    /// broken statement, evaluates to: the rules find where a resource uses it by this text.
    pub fn unknown_reason(name: &str) -> String {
        format!("{name}{BROKEN_REASON}")
    }
}

/// The end of every [`BrokenStatement::unknown_reason`].
pub const BROKEN_REASON: &str = " depends on a statement with a syntax error";

/// A place where a template or parameters file breaks the official `deploymentTemplate` /
/// `deploymentParameters` schema.
#[derive(Clone, Debug)]
pub struct SkeletonError {
    pub loc: Loc,
    /// JSON pointer in that file.
    pub pointer: String,
    pub message: String,
    /// The template has no `resources` the tool can read: nothing it deploys was checked.
    pub hides_resources: bool,
}

impl Resource {
    /// Case-insensitive type comparison (ARM types are case-insensitive).
    pub fn is_type(&self, ty: &str) -> bool {
        self.ty.eq_ignore_ascii_case(ty)
    }
    pub fn get(&self, dotted: &str) -> Option<&Node> {
        self.body.path(dotted)
    }
    pub fn properties(&self) -> Option<&Node> {
        self.body.get("properties")
    }
    /// Where a property of this resource is, for reports: the span of the deepest node of `path`
    /// that is written (the resource's own span when none is), and the JSON pointer of the whole
    /// path below [`Resource::pointer`]. Keys are spelled as the source writes them where they
    /// are written, and escaped (`~0`, `~1`): the one place pointers are built.
    pub fn locate(&self, path: &[String]) -> (Loc, String) {
        let (loc, pointer, _) = self.locate_with_use(path);
        (loc, pointer)
    }
    /// [`Resource::locate`], and where the value found there is used when it is written
    /// elsewhere (a parameter's value or default, a variable; see [`Node::used_at`]): the use
    /// recorded on the deepest node of the path that has one (the value may be a member of an
    /// object used as a whole), unless that use is where the value is written.
    pub fn locate_with_use(&self, path: &[String]) -> (Loc, String, Option<Loc>) {
        let mut loc = self.loc;
        let mut used_at = None;
        let mut pointer = self.pointer.clone();
        let mut cur = Some(&self.body);
        for seg in path {
            let next = cur.and_then(|n| match &n.value {
                Value::Object(o) => o.get_entry(seg).map(|(k, v)| (k.name.as_str(), v)),
                Value::Array(a) => seg
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get(i))
                    .map(|v| (seg.as_str(), v)),
                _ => None,
            });
            let spelled = next.map_or(seg.as_str(), |(k, _)| k);
            push_pointer_segment(&mut pointer, spelled);
            cur = next.map(|(_, v)| v);
            if let Some(n) = cur {
                loc = n.loc;
                used_at = n.used_at.or(used_at);
            }
        }
        (loc, pointer, used_at.filter(|u| !u.contains(loc)))
    }
    /// The span of a dotted property path: its deepest written node, else the resource.
    pub fn loc_of(&self, dotted: &str) -> Loc {
        let path: Vec<String> = dotted.split('.').map(String::from).collect();
        self.locate(&path).0
    }
    /// Display name for messages: the literal name, or the symbolic text.
    pub fn display_name(&self) -> String {
        match &self.name.value {
            Value::Str(s) => s.clone(),
            Value::Sym(s) => s.to_string(),
            other => other.type_name().to_string(),
        }
    }
}

impl Model {
    /// Shift every location by `by` files: the model's sources are appended, in their order,
    /// after `by` other files of a source map (a `--baseline` template's files after the linted
    /// unit's, so that a finding can show where the baseline says something).
    pub fn move_files(&mut self, by: crate::source::FileId) {
        fn node(n: &mut Node, by: crate::source::FileId) {
            n.loc.file += by;
            if let Some(u) = &mut n.used_at {
                u.file += by;
            }
            match &mut n.value {
                Value::Array(items) => items.iter_mut().for_each(|i| node(i, by)),
                Value::Object(o) => {
                    for (k, v) in &mut o.entries {
                        k.loc.file += by;
                        node(v, by);
                    }
                }
                _ => {}
            }
        }
        for r in &mut self.resources {
            r.loc.file += by;
            node(&mut r.name, by);
            node(&mut r.body, by);
        }
        for s in &mut self.suppressions {
            s.loc.file += by;
            if let SuppressionScope::Range { file, .. } = &mut s.scope {
                *file += by;
            }
        }
        for i in &mut self.intents.rotation {
            i.loc.file += by;
        }
        for b in &mut self.broken {
            b.error.file += by;
        }
        if let Some(c) = &mut self.intents.cloud {
            c.loc.file += by;
        }
        for p in &mut self.intents.previous_key_versions {
            for (_, loc) in &mut p.versions {
                loc.file += by;
            }
        }
    }

    /// The index, or `None` when the resources changed after it was built.
    fn index(&self) -> Option<&index::Index> {
        let index = self
            .index
            .get_or_init(|| index::Index::new(&self.resources));
        (index.len == self.resources.len()).then_some(index)
    }

    /// Resources of a type (compared without case), in model order.
    pub fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        let indexed: Option<&'a [usize]> = self.index().map(|x| x.of_type(ty));
        let scanned = indexed.is_none().then(|| {
            self.resources
                .iter()
                .enumerate()
                .filter(move |(_, r)| r.is_type(ty))
        });
        let indexed = indexed
            .into_iter()
            .flatten()
            .map(|&i| (i, &self.resources[i]));
        indexed.chain(scanned.into_iter().flatten())
    }

    /// Span and JSON pointer of a property of resource `resource` (see [`Resource::locate`]).
    /// Where the source spells the property its own way (the spec's `registry.sku`), the
    /// pointer follows the source: `/registry/sku`.
    pub fn locate(&self, resource: usize, path: &[String]) -> (Loc, String) {
        let (loc, pointer, _) = self.locate_with_use(resource, path);
        (loc, pointer)
    }

    /// [`Model::locate`], and where the value is used when it is written elsewhere (see
    /// [`Resource::locate_with_use`]).
    pub fn locate_with_use(&self, resource: usize, path: &[String]) -> (Loc, String, Option<Loc>) {
        let (loc, pointer, used_at) = self.resources[resource].locate_with_use(path);
        let spelled = self.spelling.iter().find(|s| {
            s.resource == resource
                && s.path.split('.').count() <= path.len()
                && s.path.split('.').zip(path).all(|(a, b)| a == b)
        });
        match spelled {
            Some(s) => {
                let mut p = String::new();
                let rest = &path[s.path.split('.').count()..];
                for seg in s.spelled.split('.').chain(rest.iter().map(String::as_str)) {
                    push_pointer_segment(&mut p, seg);
                }
                (loc, p, used_at)
            }
            None => (loc, pointer, used_at),
        }
    }

    /// Find a resource by canonical id: the first resource whose id is the
    /// [same](SymStr::same) as `id`.
    pub fn by_id(&self, id: &SymStr) -> Option<usize> {
        match self.index() {
            Some(index) => index.by_id(id),
            None => self.resources.iter().position(|r| r.id.same(id)),
        }
    }

    /// How many resources the lookups by id and type, and the dependency walks, have looked at
    /// so far (a work counter for tests and benchmarks: it grows with the answers, not with the
    /// model).
    pub fn lookup_visits(&self) -> usize {
        self.index.get().map_or(0, |x| x.visits())
    }

    /// Data derived from the model once and shared by every rule that needs it (the grants by
    /// the identity they are for, identities by key, …): built by `build` on first use, one
    /// value per type. Rules ask per registry; deriving per registry would make a template of n
    /// registries cost n² (issue 8, class 5).
    pub fn derived<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce(&Model) -> T,
    ) -> std::sync::Arc<T> {
        self.derived.get_or_build(|| build(self))
    }

    /// Does `from` depend on `to`, directly or transitively? Follows explicit and implicit edges,
    /// the dependencies of the deployments that enclose `from`, and treats a dependency on a
    /// deployment as a dependency on everything that deployment's template declares.
    pub fn depends_on(&self, from: usize, to: usize) -> bool {
        // A set, not a vector of the model's size: asked per registry, the walk must cost what
        // it visits, not the size of the model.
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<usize> = Vec::new();
        // Edges out of `from` and out of every deployment enclosing it.
        let mut cur = Some(from);
        while let Some(i) = cur {
            stack.extend(self.resources[i].depends_on.iter().copied());
            cur = self.resources[i].parent_deployment;
        }
        while let Some(i) = stack.pop() {
            if i == to {
                return true;
            }
            if !seen.insert(i) {
                continue;
            }
            self.index
                .get_or_init(|| index::Index::new(&self.resources))
                .visited(1);
            let r = &self.resources[i];
            stack.extend(r.depends_on.iter().copied());
            stack.extend(r.contains.iter().copied());
        }
        false
    }
}

/// Append one segment to a JSON pointer, escaped (`~` → `~0`, `/` → `~1`, RFC 6901).
fn push_pointer_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
}

/// The scope a template is deployed to, as symbolic parts of a resource id.
#[derive(Clone, Debug)]
pub struct Scope {
    pub subscription: Option<SymStr>,
    pub resource_group: Option<SymStr>,
}

impl Scope {
    /// The top-level resource-group deployment: `subscription().subscriptionId`, `resourceGroup().name`.
    pub fn resource_group_deployment() -> Scope {
        Scope {
            subscription: Some(SymStr::sym(Sym::Expr(
                "subscription().subscriptionId".into(),
            ))),
            resource_group: Some(SymStr::sym(Sym::Expr("resourceGroup().name".into()))),
        }
    }
}

/// Canonical resource id: `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t1}/{n1}/{t2}/{n2}`.
/// `ty` is the full type (`Microsoft.KeyVault/vaults/keys`) and `names` its name segments
/// (`[vault, key]`). Missing subscription/resource group give subscription- or tenant-level ids.
pub fn resource_id(scope: &Scope, ty: &str, names: &[SymStr]) -> SymStr {
    let mut id = SymStr::default();
    if let Some(s) = &scope.subscription {
        id.push_lit("/subscriptions/");
        id.append(s);
        if let Some(rg) = &scope.resource_group {
            id.push_lit("/resourceGroups/");
            id.append(rg);
        }
    }
    id.push_lit("/providers/");
    let mut segs = ty.split('/');
    let ns = segs.next().unwrap_or_default();
    id.push_lit(ns);
    for (t, n) in segs.zip(names.iter().map(Some).chain(std::iter::repeat(None))) {
        id.push_lit("/");
        id.push_lit(t);
        id.push_lit("/");
        match n {
            Some(n) => id.append(n),
            None => id.push_sym(Sym::Opaque("missing name segment".into())),
        }
    }
    id
}

/// An extension resource's id (`roleAssignments` with a `scope`): `{scope}/providers/{type}/{name}`.
pub fn extension_resource_id(scope_id: &SymStr, ty: &str, names: &[SymStr]) -> SymStr {
    let mut id = scope_id.clone();
    let tail = resource_id(
        &Scope {
            subscription: None,
            resource_group: None,
        },
        ty,
        names,
    );
    id.append(&tail);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_compare_across_case() {
        let scope = Scope::resource_group_deployment();
        let a = resource_id(
            &scope,
            "Microsoft.KeyVault/vaults/keys",
            &[SymStr::lit("kv"), SymStr::lit("k")],
        );
        let b = resource_id(
            &scope,
            "microsoft.keyvault/VAULTS/keys",
            &[SymStr::lit("KV"), SymStr::lit("k")],
        );
        assert!(a.same(&b));
        assert!(
            a.to_string()
                .ends_with("/providers/Microsoft.KeyVault/vaults/kv/keys/k")
        );
    }
}
