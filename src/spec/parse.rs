//! TOML text → [`Spec`], with `SPEC001` findings for everything structural.
//!
//! `toml_edit::Document` (not `DocumentMut`) keeps byte spans, which become [`Loc`]s in file 0.
//! Every section is read through a [`Section`] that knows its allowed keys, so an unknown key is
//! reported once with the nearest allowed key as "did you mean".

use super::*;
use crate::finding::Finding;
use crate::rules::meta;
use crate::source::FileId;
use toml_edit::{Item, TableLike};

use crate::eval::limits::MAX_SPEC_BYTES;

const SECTIONS: &[&str] = &["registry", "identity", "vault", "key", "deployment"];
const REGISTRY_KEYS: &[&str] = &[
    "name",
    "location",
    "sku",
    "content_trust",
    "tags",
    "public_network_access",
    "zone_redundancy",
    "admin_user",
];
const IDENTITY_KEYS: &[&str] = &["name", "resource_id"];
const VAULT_KEYS: &[&str] = &[
    "name",
    "resource_group",
    "subscription_id",
    "access",
    "create",
];
const KEY_KEYS: &[&str] = &[
    "id", "name", "version", "rotation", "type", "size", "create",
];
const DEPLOYMENT_KEYS: &[&str] = &["cloud", "api_version"];

const SKUS: &[&str] = &["Basic", "Classic", "Standard", "Premium"];
const KEY_TYPES: &[&str] = &["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"];

pub(super) fn parse(file: FileId, text: &str) -> (Option<Spec>, Vec<Finding>) {
    let mut p = Parser {
        file,
        errors: Vec::new(),
        suggested: Vec::new(),
    };
    // Larger specs are certainly not hand-written registry descriptions: refuse before parsing.
    if text.len() as u64 > MAX_SPEC_BYTES {
        let finding =
            crate::rules::limit_exceeded::file_too_large(file, text.len() as u64, MAX_SPEC_BYTES);
        return (None, vec![finding]);
    }
    let doc = match toml_edit::Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().replace('\n', "; ");
            p.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    Loc::new(file, span.start, span.end),
                    format!("malformed TOML: {msg}"),
                )
                .label("cannot parse this"),
            );
            return (None, p.errors);
        }
    };
    let spec = p.spec(doc.as_table());
    p.errors.sort_by_key(|f| (f.loc.start, f.loc.end));
    if p.errors.is_empty() {
        (spec, p.errors)
    } else {
        (None, p.errors)
    }
}

struct Parser {
    file: FileId,
    errors: Vec<Finding>,
    /// `section.key` suggested for an unknown key: not reported again as missing.
    suggested: Vec<String>,
}

/// One table of the spec and the keys it may hold.
struct Section<'a> {
    path: &'static str,
    table: Option<&'a dyn TableLike>,
    /// The header (or the file start when the table is absent).
    loc: Loc,
}

fn suggest(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c.to_string())
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            toml_edit::Value::String(_) => "a string",
            toml_edit::Value::Integer(_) => "an integer",
            toml_edit::Value::Float(_) => "a float",
            toml_edit::Value::Boolean(_) => "a boolean",
            toml_edit::Value::Datetime(_) => "a date-time",
            toml_edit::Value::Array(_) => "an array",
            toml_edit::Value::InlineTable(_) => "a table",
        },
    }
}

impl Parser {
    fn loc(&self, span: Option<std::ops::Range<usize>>) -> Loc {
        let s = span.unwrap_or(0..0);
        Loc::new(self.file, s.start, s.end)
    }

    /// Label the last error's span.
    fn label(&mut self, label: impl Into<String>) {
        if let Some(last) = self.errors.last_mut() {
            last.label = Some(label.into());
        }
    }

    fn error(&mut self, loc: Loc, message: String, help: Option<String>) {
        let mut f = Finding::new(meta("SPEC001"), loc, message);
        if let Some(h) = help {
            f = f.help(h);
        }
        self.errors.push(f);
    }

    /// Report keys of `table` not in `allowed`.
    fn unknown_keys(&mut self, path: &str, table: &dyn TableLike, allowed: &[&str]) {
        for (k, _) in table.iter() {
            if allowed.contains(&k) {
                continue;
            }
            let loc = self.loc(table.key(k).and_then(|k| k.span()));
            let shown = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            let help = match suggest(k, allowed) {
                Some(s) => {
                    self.suggested.push(format!("{path}.{s}"));
                    format!("did you mean `{s}`?")
                }
                None => format!("allowed here: {}", allowed.join(", ")),
            };
            let what = if path.is_empty() { "table" } else { "key" };
            self.error(loc, format!("unknown {what} `{shown}`"), Some(help));
            if let Some(last) = self.errors.last_mut() {
                last.label = Some(format!("unknown {what}"));
            }
        }
    }

    fn section<'a>(&mut self, root: &'a toml_edit::Table, path: &'static str) -> Section<'a> {
        let start = self.loc(Some(0..0));
        match root.get(path) {
            None => Section {
                path,
                table: None,
                loc: start,
            },
            Some(item) => match item.as_table_like() {
                Some(t) => Section {
                    path,
                    table: Some(t),
                    loc: self.loc(
                        item.span()
                            .or_else(|| root.key(path).and_then(|k| k.span())),
                    ),
                },
                None => {
                    let loc = self.loc(item.span());
                    self.error(
                        loc,
                        format!("`{path}` must be a table, found {}", type_name(item)),
                        Some(format!("write it as a [{path}] section")),
                    );
                    Section {
                        path,
                        table: None,
                        loc,
                    }
                }
            },
        }
    }

    fn item<'a>(&self, s: &Section<'a>, key: &str) -> Option<&'a Item> {
        s.table.and_then(|t| t.get(key)).filter(|i| !i.is_none())
    }

    fn wrong_type(&mut self, s: &Section, key: &str, item: &Item, want: &str) {
        let loc = self.loc(item.span());
        self.error(
            loc,
            format!(
                "`{}.{key}` must be {want}, found {}",
                s.path,
                type_name(item)
            ),
            None,
        );
        if let Some(last) = self.errors.last_mut() {
            last.label = Some(format!("expected {want}"));
        }
    }

    fn string(&mut self, s: &Section, key: &str) -> Option<Spanned<String>> {
        let item = self.item(s, key)?;
        match item.as_str() {
            Some(v) => Some(Spanned::new(v.to_string(), self.loc(item.span()))),
            None => {
                self.wrong_type(s, key, item, "a string");
                None
            }
        }
    }

    fn required_string(&mut self, s: &Section, key: &str) -> Option<Spanned<String>> {
        if self.item(s, key).is_none() {
            if self.suggested.contains(&format!("{}.{key}", s.path)) {
                return None;
            }
            let header = if s.table.is_some() {
                format!("add `{key} = \"…\"` to the [{}] table", s.path)
            } else {
                format!("add a [{}] table with `{key} = \"…\"`", s.path)
            };
            self.error(
                s.loc,
                format!("missing required key `{}.{key}`", s.path),
                Some(header),
            );
            self.label(format!("`{key}` missing in this table"));
            return None;
        }
        self.string(s, key)
    }

    fn boolean(&mut self, s: &Section, key: &str, default: bool) -> Spanned<bool> {
        let Some(item) = self.item(s, key) else {
            return Spanned::default_at(default, s.loc);
        };
        match item.as_bool() {
            Some(v) => Spanned::new(v, self.loc(item.span())),
            None => {
                self.wrong_type(s, key, item, "a boolean (true or false)");
                Spanned::default_at(default, s.loc)
            }
        }
    }

    fn integer(&mut self, s: &Section, key: &str, default: i64) -> Spanned<i64> {
        let Some(item) = self.item(s, key) else {
            return Spanned::default_at(default, s.loc);
        };
        match item.as_integer() {
            Some(v) => Spanned::new(v, self.loc(item.span())),
            None => {
                self.wrong_type(s, key, item, "an integer");
                Spanned::default_at(default, s.loc)
            }
        }
    }

    /// A string from a fixed set, matched without regard to case and returned in the set's
    /// casing (the schemas' enums are case-sensitive, the spec need not be).
    fn one_of(&mut self, s: &Section, key: &str, allowed: &[&str]) -> Option<Spanned<String>> {
        let v = self.string(s, key)?;
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(&v.value)) {
            Some(a) => Some(Spanned::new(a.to_string(), v.loc)),
            None => {
                let help = match suggest(&v.value, allowed) {
                    Some(x) => format!("did you mean \"{x}\"? allowed: {}", allowed.join(", ")),
                    None => format!("allowed: {}", allowed.join(", ")),
                };
                self.error(
                    v.loc,
                    format!("`{}.{key}` cannot be \"{}\"", s.path, v.value),
                    Some(help),
                );
                None
            }
        }
    }

    fn spec(&mut self, root: &toml_edit::Table) -> Option<Spec> {
        self.unknown_keys("", root, SECTIONS);
        let registry = self.registry(root);
        let identity = self.identity(root);
        let vault = self.vault(root);
        let deployment = self.deployment(root);
        let key = self.key(root);
        let spec = Spec {
            registry: registry?,
            identity: identity?,
            vault: vault?,
            key: key?,
            deployment: deployment?,
        };
        self.cross_checks(&spec);
        Some(spec)
    }

    fn registry(&mut self, root: &toml_edit::Table) -> Option<Registry> {
        let s = self.section(root, "registry");
        if let Some(t) = s.table {
            self.unknown_keys(s.path, t, REGISTRY_KEYS);
        }
        let name = self.required_string(&s, "name");
        let location = self.string(&s, "location");
        let sku = self
            .one_of(&s, "sku", SKUS)
            .unwrap_or_else(|| Spanned::default_at("Premium".into(), s.loc));
        let content_trust = self.boolean(&s, "content_trust", false);
        let tags = self.tags(&s);
        let toggles = ["Enabled", "Disabled"];
        let toggle = |v: Option<Spanned<String>>, default: Toggle| match v {
            Some(v) => Spanned::new(
                if v.value == "Enabled" {
                    Toggle::Enabled
                } else {
                    Toggle::Disabled
                },
                v.loc,
            ),
            None => Spanned::default_at(default, s.loc),
        };
        let pna = self.one_of(&s, "public_network_access", &toggles);
        let zr = self.one_of(&s, "zone_redundancy", &toggles);
        let admin_user = self.boolean(&s, "admin_user", false);
        Some(Registry {
            name: name?,
            location,
            sku,
            content_trust,
            tags,
            public_network_access: toggle(pna, Toggle::Enabled),
            zone_redundancy: toggle(zr, Toggle::Disabled),
            admin_user,
            loc: s.loc,
        })
    }

    fn tags(&mut self, s: &Section) -> Vec<(Spanned<String>, Spanned<String>)> {
        let Some(item) = self.item(s, "tags") else {
            return Vec::new();
        };
        let Some(table) = item.as_table_like() else {
            self.wrong_type(s, "tags", item, "a table of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in table.iter() {
            let key_loc = self.loc(table.key(k).and_then(|k| k.span()));
            match v.as_str() {
                Some(value) => out.push((
                    Spanned::new(k.to_string(), key_loc),
                    Spanned::new(value.to_string(), self.loc(v.span())),
                )),
                None => {
                    let loc = self.loc(v.span().or(Some(key_loc.range())));
                    self.error(
                        loc,
                        format!("tag `{k}` must be a string, found {}", type_name(v)),
                        Some("tag values are strings: quote the value".into()),
                    );
                }
            }
        }
        out
    }

    fn identity(&mut self, root: &toml_edit::Table) -> Option<Identity> {
        let s = self.section(root, "identity");
        if let Some(t) = s.table {
            self.unknown_keys(s.path, t, IDENTITY_KEYS);
        }
        let name = self.string(&s, "name");
        let rid = self.string(&s, "resource_id");
        match (name, rid) {
            (Some(n), None) => Some(Identity::Create(n)),
            (None, Some(r)) => Some(Identity::Existing(r)),
            (Some(_), Some(r)) => {
                self.error(
                    r.loc,
                    "`identity.name` and `identity.resource_id` are mutually exclusive".into(),
                    Some("keep `name` to create the identity, or `resource_id` to use an existing one".into()),
                );
                self.label("conflicts with `identity.name`");
                None
            }
            (None, None) => {
                if self.item(&s, "name").is_none() && self.item(&s, "resource_id").is_none() {
                    self.error(
                        s.loc,
                        "the identity needs `identity.name` or `identity.resource_id`".into(),
                        Some("a registry reaches its key through a user-assigned identity: name one to create, or give the resource id of an existing one".into()),
                    );
                    self.label("neither `name` nor `resource_id` here");
                }
                None
            }
        }
    }

    fn vault(&mut self, root: &toml_edit::Table) -> Option<Vault> {
        let s = self.section(root, "vault");
        if let Some(t) = s.table {
            self.unknown_keys(s.path, t, VAULT_KEYS);
        }
        let name = self.required_string(&s, "name");
        let resource_group = self.string(&s, "resource_group");
        let subscription_id = self.string(&s, "subscription_id");
        let access = match self.one_of(&s, "access", &["access-policy", "rbac"]) {
            Some(v) if v.value == "rbac" => Spanned::new(Access::Rbac, v.loc),
            Some(v) => Spanned::new(Access::AccessPolicy, v.loc),
            None => Spanned::default_at(Access::AccessPolicy, s.loc),
        };
        let create = self.boolean(&s, "create", false);
        Some(Vault {
            name: name?,
            resource_group,
            subscription_id,
            access,
            create,
            loc: s.loc,
        })
    }

    fn key(&mut self, root: &toml_edit::Table) -> Option<Key> {
        let s = self.section(root, "key");
        if let Some(t) = s.table {
            self.unknown_keys(s.path, t, KEY_KEYS);
        }
        let id = self.string(&s, "id");
        let name = self.string(&s, "name");
        let version = self.string(&s, "version");
        let rotation = self.one_of(&s, "rotation", &["automatic", "manual"]);
        let kty = self
            .one_of(&s, "type", KEY_TYPES)
            .unwrap_or_else(|| Spanned::default_at("RSA".into(), s.loc));
        let size = self.integer(&s, "size", 3072);
        let create = self.boolean(&s, "create", false);
        let reference = match (id, name) {
            (Some(id), None) => {
                if let Some(v) = &version {
                    self.error(
                        v.loc,
                        "`key.version` goes with `key.name`, not with `key.id`".into(),
                        Some(
                            "put the version in the id (…/keys/<name>/<version>) or remove it"
                                .into(),
                        ),
                    );
                }
                KeyRef::Id(id)
            }
            (None, Some(name)) => KeyRef::Name { name, version },
            (Some(_), Some(n)) => {
                self.error(
                    n.loc,
                    "`key.id` and `key.name` are mutually exclusive".into(),
                    Some("give the full key URI as `id`, or `name` (and `version`) to build it from the vault".into()),
                );
                self.label("conflicts with `key.id`");
                return None;
            }
            (None, None) => {
                if self.item(&s, "id").is_none() && self.item(&s, "name").is_none() {
                    self.error(
                        s.loc,
                        "the key needs `key.id` or `key.name`".into(),
                        Some("give the key URI (https://<vault>.vault.azure.net/keys/<name>[/<version>]) as `id`, or its `name`".into()),
                    );
                    self.label("neither `id` nor `name` here");
                }
                return None;
            }
        };
        let rotation = match rotation {
            Some(r) => Spanned::new(
                if r.value == "manual" {
                    Rotation::Manual
                } else {
                    Rotation::Automatic
                },
                r.loc,
            ),
            None => {
                let (versioned, loc) = match &reference {
                    KeyRef::Id(id) => (
                        crate::azure::parse_key_uri(&id.value)
                            .map(|k| k.version.is_some())
                            .unwrap_or(false),
                        id.loc,
                    ),
                    KeyRef::Name { name, version } => (version.is_some(), name.loc),
                };
                let r = if versioned {
                    Rotation::Manual
                } else {
                    Rotation::Automatic
                };
                Spanned::default_at(r, loc)
            }
        };
        Some(Key {
            reference,
            rotation,
            kty,
            size,
            create,
            loc: s.loc,
        })
    }

    fn deployment(&mut self, root: &toml_edit::Table) -> Option<Deployment> {
        let s = self.section(root, "deployment");
        if let Some(t) = s.table {
            self.unknown_keys(s.path, t, DEPLOYMENT_KEYS);
        }
        let names: Vec<&str> = crate::azure::Cloud::ALL.iter().map(|c| c.name()).collect();
        let cloud = match self.one_of(&s, "cloud", &names) {
            Some(v) => Spanned::new(crate::azure::Cloud::parse(&v.value)?, v.loc),
            None => Spanned::default_at(crate::azure::Cloud::AzureCloud, s.loc),
        };
        let api_version = match self.string(&s, "api_version") {
            Some(v) if is_api_version(&v.value) => v,
            Some(v) => {
                self.error(
                    v.loc,
                    format!(
                        "`deployment.api_version` \"{}\" is not an API version",
                        v.value
                    ),
                    Some(format!(
                        "API versions look like 2025-11-01 or 2019-12-01-preview (default {})",
                        crate::azure::REGISTRY_API_DEFAULT
                    )),
                );
                return None;
            }
            None => Spanned::default_at(crate::azure::REGISTRY_API_DEFAULT.into(), s.loc),
        };
        Some(Deployment {
            cloud,
            api_version,
            loc: s.loc,
        })
    }

    /// Combinations the generator cannot honour.
    fn cross_checks(&mut self, spec: &Spec) {
        if let KeyRef::Id(id) = &spec.key.reference
            && crate::azure::parse_key_uri(&id.value).is_ok_and(|k| k.managed_hsm)
        {
            self.error(
                id.loc,
                "the key is in a Managed HSM: its access is granted with a Managed HSM local role, which acr-cmk does not generate".into(),
                Some("grant the identity Managed HSM Crypto Service Encryption User on the key yourself, or use a key in a Key Vault".into()),
            );
            self.label("Managed HSM key");
        }
        let zr = &spec.registry.zone_redundancy;
        let api = &spec.deployment.api_version.value;
        if zr.explicit
            && zr.value == Toggle::Enabled
            && !crate::azure::registry_api_has_zone_redundancy(api)
        {
            self.error(
                zr.loc,
                format!("zone redundancy needs registry API version 2020-11-01-preview or later; the spec uses {api}"),
                Some("raise `deployment.api_version` (default 2025-11-01) or remove `zone_redundancy`".into()),
            );
        }
        let v = &spec.vault;
        let k = &spec.key;
        if v.create.value && v.is_remote() {
            let loc = v
                .resource_group
                .as_ref()
                .or(v.subscription_id.as_ref())
                .map_or(v.loc, |x| x.loc);
            self.error(
                loc,
                "`vault.create` builds the vault in the deployment's resource group, so it cannot be combined with `vault.resource_group` or `vault.subscription_id`".into(),
                Some("create the vault in the deployment's resource group, or deploy it separately and reference it".into()),
            );
        }
        if k.create.value {
            match &k.reference {
                KeyRef::Id(id) => self.error(
                    id.loc,
                    "`key.create` needs `key.name`: the URI of a key the template creates is known only after deployment".into(),
                    Some("replace `id` with `name = \"<key name>\"`".into()),
                ),
                KeyRef::Name {
                    version: Some(ver), ..
                } => self.error(
                    ver.loc,
                    "`key.version` cannot be set for a key the template creates (Key Vault assigns it)".into(),
                    Some("remove `version`; set `rotation = \"manual\"` to pin the created version".into()),
                ),
                _ => {}
            }
            if !v.create.value && v.is_remote() {
                self.error(
                    k.create.loc,
                    "`key.create` needs the vault in the template's scope, but the vault is in another resource group or subscription".into(),
                    Some("create the key in that vault beforehand and reference it with `key.name` or `key.id`".into()),
                );
            }
        }
    }
}

/// `YYYY-MM-DD` with an optional `-preview` (or other lowercase suffix).
fn is_api_version(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 {
        return false;
    }
    let date_ok = b[..10].iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    let rest = &s[10..];
    date_ok
        && (rest.is_empty()
            || (rest.starts_with('-')
                && rest.len() > 1
                && rest[1..].chars().all(|c| c.is_ascii_lowercase())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_shape() {
        assert!(is_api_version("2025-11-01"));
        assert!(is_api_version("2019-12-01-preview"));
        assert!(!is_api_version("2025-11"));
        assert!(!is_api_version("latest"));
        assert!(!is_api_version("2025-11-01-"));
    }

    #[test]
    fn suggestions_are_close_only() {
        assert_eq!(suggest("nmae", REGISTRY_KEYS).as_deref(), Some("name"));
        assert_eq!(suggest("rotaton", KEY_KEYS).as_deref(), Some("rotation"));
        assert_eq!(suggest("zzzzzz", KEY_KEYS), None);
    }
}
