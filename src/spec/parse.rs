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
/// The tables a spec must have, each with the smallest table that satisfies it (shown as the
/// hint when it is missing).
const REQUIRED_TABLES: &[(&str, &str)] = &[
    (
        "registry",
        "[registry]\nname = \"<5-50 letters and digits>\"",
    ),
    (
        "identity",
        "[identity]\nname = \"<identity to create>\"   # or resource_id = \"<existing identity>\"",
    ),
    ("vault", "[vault]\nname = \"<key vault name>\""),
    (
        "key",
        "[key]\nname = \"<key name>\"   # or id = \"https://<vault>.vault.azure.net/keys/<name>\"",
    ),
];
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
const IDENTITY_KEYS: &[&str] = &["name", "resource_id", "system_assigned", "encryption"];
const VAULT_KEYS: &[&str] = &[
    "name",
    "resource_group",
    "subscription_id",
    "access",
    "create",
    "firewall",
];
const KEY_KEYS: &[&str] = &[
    "id",
    "name",
    "version",
    "rotation",
    "type",
    "size",
    "create",
    "rotate_after",
    "expires_after",
    "notify_before",
    "previous_versions",
];
const DEPLOYMENT_KEYS: &[&str] = &["cloud", "api_version", "locks"];

/// Key Vault's limits on a rotation policy (research memo §2.2): a version lives at least 28
/// days (`expiryTime`, the SDKs' doc strings); a trigger is at least 7 days after creation and
/// at least 7 days before expiry ("the minimum value is seven days from creation and seven
/// days from expiration time", learn.microsoft.com "Configure cryptographic key auto-rotation
/// in Azure Key Vault").
const MIN_EXPIRY_DAYS: u64 = 28;
const MIN_TRIGGER_DAYS: u64 = 7;

const SKUS: &[&str] = &["Basic", "Classic", "Standard", "Premium"];
const KEY_TYPES: &[&str] = &["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"];

pub(super) fn parse(file: FileId, text: &str) -> (Option<Spec>, Vec<Finding>) {
    let mut p = Parser {
        file,
        text,
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

struct Parser<'t> {
    file: FileId,
    text: &'t str,
    errors: Vec<Finding>,
    /// `section.key` (or `section` for a table) suggested for an unknown key or table: not
    /// reported again as missing.
    suggested: Vec<String>,
}

/// What a value should have been, for wrong-type messages and their hints.
#[derive(Clone, Copy)]
enum Want {
    Str,
    Bool,
    Int,
    StrTable,
    Versions,
}

impl Want {
    fn words(self) -> &'static str {
        match self {
            Want::Str => "a string",
            Want::Bool => "a boolean (true or false)",
            Want::Int => "an integer",
            Want::StrTable => "a table of strings",
            Want::Versions => "an array of key versions",
        }
    }

    /// How to write `key` correctly, using the value that was written where it shows what was
    /// meant (`size = "3072"` → `size = 3072`).
    fn help(self, key: &str, item: &Item) -> String {
        let text = item.as_str().map(str::trim);
        match self {
            Want::Str => match item.as_value() {
                Some(v) if !v.is_array() && !v.is_inline_table() => {
                    let shown = v.to_string();
                    format!(
                        "quote the value: {key} = {}",
                        toml_edit::Value::from(shown.trim()).to_string().trim()
                    )
                }
                _ => format!("write a quoted string: {key} = \"…\""),
            },
            Want::Bool => match text.map(str::to_ascii_lowercase).as_deref() {
                Some("true" | "yes" | "on" | "1") => format!("write {key} = true, without quotes"),
                Some("false" | "no" | "off" | "0") => {
                    format!("write {key} = false, without quotes")
                }
                _ => format!("write {key} = true or {key} = false, without quotes"),
            },
            Want::Int => match text.filter(|t| t.parse::<i64>().is_ok()) {
                Some(n) => format!("write the number without quotes: {key} = {n}"),
                None => format!("write a whole number without quotes, e.g. {key} = 3072"),
            },
            Want::StrTable => format!(
                "write a table of name = \"value\" pairs, e.g. {key} = {{ environment = \"production\" }}"
            ),
            Want::Versions => format!(
                "write an array of quoted versions, e.g. {key} = [\"<32-character version>\"]"
            ),
        }
    }
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

impl Parser<'_> {
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
                Some(s) if path.is_empty() => {
                    self.suggested.push(s.clone());
                    format!("did you mean `[{s}]`?")
                }
                Some(s) => {
                    self.suggested.push(format!("{path}.{s}"));
                    format!("did you mean `{s}`?")
                }
                None if path.is_empty() => format!(
                    "the tables of a spec are {}",
                    allowed
                        .iter()
                        .map(|t| format!("[{t}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
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
            None => {
                self.missing_table(path);
                Section {
                    path,
                    table: None,
                    loc: start,
                }
            }
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

    /// A required table that is absent: located at the end of the file (where it would be
    /// added), with the smallest table that satisfies it as the hint. Not reported when an
    /// unknown table was already taken for it (`[valut]`: "did you mean `[vault]`?").
    fn missing_table(&mut self, path: &str) {
        let Some((_, example)) = REQUIRED_TABLES.iter().find(|(t, _)| *t == path) else {
            return;
        };
        if self.suggested.iter().any(|s| s == path) {
            return;
        }
        let end = self.text.trim_end().len();
        let at = self.loc(Some(end..end));
        self.error(
            at,
            format!("missing table `[{path}]`"),
            Some(format!("add the table, e.g.\n{example}")),
        );
        self.label(format!("the [{path}] table is missing"));
    }

    fn item<'a>(&self, s: &Section<'a>, key: &str) -> Option<&'a Item> {
        s.table.and_then(|t| t.get(key)).filter(|i| !i.is_none())
    }

    fn wrong_type(&mut self, s: &Section, key: &str, item: &Item, want: Want) {
        let loc = self.loc(item.span());
        self.error(
            loc,
            format!(
                "`{}.{key}` must be {}, found {}",
                s.path,
                want.words(),
                type_name(item)
            ),
            Some(want.help(key, item)),
        );
        self.label(format!("expected {}", want.words()));
    }

    fn string(&mut self, s: &Section, key: &str) -> Option<Spanned<String>> {
        let item = self.item(s, key)?;
        match item.as_str() {
            Some(v) => Some(Spanned::new(v.to_string(), self.loc(item.span()))),
            None => {
                self.wrong_type(s, key, item, Want::Str);
                None
            }
        }
    }

    /// An ISO 8601 duration (see [`super::duration`]); an error points into the string where
    /// the text is written without escapes.
    fn duration(&mut self, s: &Section, key: &str) -> Option<Spanned<Duration>> {
        let v = self.string(s, key)?;
        match super::duration::parse(&v.value) {
            Ok(d) => Some(Spanned::new(d, v.loc)),
            Err(e) => {
                let whole = v.loc.range();
                let inner = (whole.start + 1)..whole.end.saturating_sub(1);
                let verbatim = self.text.get(inner.clone()) == Some(v.value.as_str());
                let at = if verbatim && !e.at.is_empty() {
                    Loc::new(self.file, inner.start + e.at.start, inner.start + e.at.end)
                } else {
                    v.loc
                };
                self.error(
                    at,
                    format!("`{}.{key}`: {}", s.path, e.message),
                    Some(e.help),
                );
                self.label(e.label);
                None
            }
        }
    }

    fn required_string(&mut self, s: &Section, key: &str) -> Option<Spanned<String>> {
        if self.item(s, key).is_none() {
            // A missing (or wrongly typed) table is reported once, as such.
            if s.table.is_none() || self.suggested.contains(&format!("{}.{key}", s.path)) {
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
                self.wrong_type(s, key, item, Want::Bool);
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
                self.wrong_type(s, key, item, Want::Int);
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
        let (identity, system_assigned, encryption_system) = identity?;
        let spec = Spec {
            registry: registry?,
            identity,
            system_assigned,
            encryption_system,
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
            self.wrong_type(s, "tags", item, Want::StrTable);
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

    /// The identity, `identity.system_assigned` and `identity.encryption` (true: "system").
    #[allow(clippy::type_complexity)]
    fn identity(
        &mut self,
        root: &toml_edit::Table,
    ) -> Option<(Identity, Spanned<bool>, Spanned<bool>)> {
        let s = self.section(root, "identity");
        let t = s.table?;
        self.unknown_keys(s.path, t, IDENTITY_KEYS);
        let name = self.string(&s, "name");
        let rid = self.string(&s, "resource_id");
        let system_assigned = self.boolean(&s, "system_assigned", false);
        let encryption_system = match self.one_of(&s, "encryption", &["user-assigned", "system"]) {
            Some(v) => Spanned::new(v.value == "system", v.loc),
            None => Spanned::default_at(false, s.loc),
        };
        let identity = match (name, rid) {
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
        };
        Some((identity?, system_assigned, encryption_system))
    }

    fn vault(&mut self, root: &toml_edit::Table) -> Option<Vault> {
        let s = self.section(root, "vault");
        let t = s.table?;
        self.unknown_keys(s.path, t, VAULT_KEYS);
        let name = self.required_string(&s, "name");
        let resource_group = self.string(&s, "resource_group");
        let subscription_id = self.string(&s, "subscription_id");
        let access = match self.one_of(&s, "access", &["access-policy", "rbac"]) {
            Some(v) if v.value == "rbac" => Spanned::new(Access::Rbac, v.loc),
            Some(v) => Spanned::new(Access::AccessPolicy, v.loc),
            None => Spanned::default_at(Access::AccessPolicy, s.loc),
        };
        let create = self.boolean(&s, "create", false);
        let firewall = self.boolean(&s, "firewall", false);
        Some(Vault {
            name: name?,
            resource_group,
            subscription_id,
            access,
            create,
            firewall,
            loc: s.loc,
        })
    }

    fn key(&mut self, root: &toml_edit::Table) -> Option<Key> {
        let s = self.section(root, "key");
        let t = s.table?;
        self.unknown_keys(s.path, t, KEY_KEYS);
        let id = self.string(&s, "id");
        let name = self.string(&s, "name");
        let version = self.string(&s, "version");
        let rotation = self.one_of(&s, "rotation", &["automatic", "manual"]);
        let kty = self
            .one_of(&s, "type", KEY_TYPES)
            .unwrap_or_else(|| Spanned::default_at("RSA".into(), s.loc));
        let size = self.integer(&s, "size", 3072);
        let create = self.boolean(&s, "create", false);
        let rotate_after = self.duration(&s, "rotate_after");
        let expires_after = self.duration(&s, "expires_after");
        let notify_before = self.duration(&s, "notify_before");
        let previous_versions = self.previous_versions(&s);
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
            rotate_after,
            expires_after,
            notify_before,
            previous_versions,
            loc: s.loc,
        })
    }

    /// `key.previous_versions`: an array of distinct key versions. Whether the current version
    /// is among them is not a structural problem but a rollback, which CMK027 reports.
    fn previous_versions(&mut self, s: &Section) -> Vec<Spanned<String>> {
        let Some(item) = self.item(s, "previous_versions") else {
            return Vec::new();
        };
        let Some(array) = item.as_array() else {
            self.wrong_type(s, "previous_versions", item, Want::Versions);
            return Vec::new();
        };
        let mut out: Vec<Spanned<String>> = Vec::new();
        // Lowercase version → index in `out`: a spec near the size limit can list tens of
        // thousands of versions, which a pairwise search would compare quadratically.
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for value in array.iter() {
            let loc = self.loc(value.span());
            let Some(version) = value.as_str() else {
                self.error(
                    loc,
                    format!(
                        "`key.previous_versions` holds key versions (strings), found {}",
                        type_name(&Item::Value(value.clone()))
                    ),
                    Some(
                        "quote each version: previous_versions = [\"<32-character version>\"]"
                            .into(),
                    ),
                );
                self.label("expected a string");
                continue;
            };
            if !crate::azure::is_key_version(version) {
                self.error(
                    loc,
                    format!(
                        "`key.previous_versions`: \"{}\" is not a key version",
                        crate::quote::value(version)
                    ),
                    Some("a key version is the last segment of a versioned key id (…/keys/<name>/<version>): 32 letters and digits, as `az keyvault key list-versions` shows in each `kid`".into()),
                );
                self.label("not a 32-character key version");
                continue;
            }
            if let Some(&first) = seen.get(&version.to_ascii_lowercase()) {
                let first = out[first].loc;
                self.errors.push(
                    Finding::new(
                        meta("SPEC001"),
                        loc,
                        format!("`key.previous_versions` lists \"{version}\" twice"),
                    )
                    .label("listed again")
                    .related(first, "first listed here")
                    .help("remove the repeated version"),
                );
                continue;
            }
            seen.insert(version.to_ascii_lowercase(), out.len());
            out.push(Spanned::new(version.to_string(), loc));
        }
        out
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
        let locks = self.boolean(&s, "locks", false);
        Some(Deployment {
            cloud,
            api_version,
            locks,
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
        if let KeyRef::Id(id) = &k.reference
            && v.create.value
        {
            // A created vault starts empty, and an existing vault of that name would have its
            // access-policy list rewritten by the vault PUT: the registry cannot reach the key.
            self.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    v.create.loc,
                    "`vault.create` with `key.id`: a vault the template creates holds no key, so the registry could never reach the key this id names",
                )
                .label("creates an empty vault")
                .related(id.loc, "a key that cannot be in the created vault")
                .help("to create the key as well, replace `key.id` with `key.name = \"<key name>\"` and set `key.create = true`; to use a key that exists, remove `vault.create` (the vault exists already)"),
            );
        }
        self.rotation_policy_checks(spec);
        self.firewall_checks(spec);
        self.encryption_identity_checks(spec);
    }

    /// The rotation policy keys apply to a key the template creates with automatic rotation,
    /// within Key Vault's limits.
    fn rotation_policy_checks(&mut self, spec: &Spec) {
        let k = &spec.key;
        let given = [
            ("rotate_after", &k.rotate_after),
            ("expires_after", &k.expires_after),
            ("notify_before", &k.notify_before),
        ];
        let key_name = match &k.reference {
            KeyRef::Name { name, .. } => Some(name.value.clone()),
            KeyRef::Id(id) => crate::azure::parse_key_uri(&id.value).ok().map(|u| u.name),
        }
        .unwrap_or_else(|| "<key>".into());
        for (key, value) in given {
            let Some(value) = value else { continue };
            if !k.create.value {
                self.error(
                    value.loc,
                    format!("`key.{key}` belongs to the rotation policy of a key the template creates, and this key exists already"),
                    Some(format!(
                        "an ARM deployment never changes an existing key: set its policy with `az keyvault key rotation-policy update --vault-name {} --name {key_name} --value <policy.json>`, or let the template create the key (`key.name` and `key.create = true`)",
                        spec.vault.name.value
                    )),
                );
                self.label("the key is not created by the template");
            } else if k.rotation.value == Rotation::Manual {
                self.errors.push(
                    Finding::new(
                        meta("SPEC001"),
                        value.loc,
                        format!("`key.{key}` needs automatic rotation: with manual rotation the registry stays on the version the template creates, so the versions a rotation policy creates would never be used"),
                    )
                    .label("needs automatic rotation")
                    .related(k.rotation.loc, "manual rotation")
                    .help(format!("remove `key.{key}`, or use automatic rotation (`rotation = \"automatic\"`: the registry follows new key versions within an hour)")),
                );
            }
        }
        let Some(p) = spec.rotation_policy() else {
            return;
        };
        let calendar = "months count as 28 to 31 days and years as 365 or 366, so the check holds whatever the creation date";
        let mut lifetime_ok = true;
        if p.expires_after.value.min_days() < MIN_EXPIRY_DAYS {
            lifetime_ok = false;
            self.error(
                p.expires_after.loc,
                format!(
                    "`key.expires_after` is {}; Key Vault gives a key version at least {MIN_EXPIRY_DAYS} days",
                    described(&p.expires_after.value)
                ),
                Some(format!("e.g. expires_after = \"P90D\" (default {})", RotationPolicy::EXPIRES_AFTER.iso())),
            );
            self.label(format!("shorter than {MIN_EXPIRY_DAYS} days"));
        }
        for (key, d) in [
            ("rotate_after", &p.rotate_after),
            ("notify_before", &p.notify_before),
        ] {
            if d.value.min_days() < MIN_TRIGGER_DAYS {
                lifetime_ok = false;
                self.error(
                    d.loc,
                    format!(
                        "`key.{key}` is {}; Key Vault's rotation and notification triggers are at least {MIN_TRIGGER_DAYS} days",
                        described(&d.value)
                    ),
                    Some(format!("use {MIN_TRIGGER_DAYS} days or more, e.g. {key} = \"P30D\"")),
                );
                self.label(format!("shorter than {MIN_TRIGGER_DAYS} days"));
            }
        }
        if !lifetime_ok {
            return;
        }
        let latest = p.expires_after.value.min_days() - MIN_TRIGGER_DAYS;
        let pairs = [
            (
                "rotate_after",
                &p.rotate_after,
                "the key must rotate at least 7 days before its versions expire",
            ),
            (
                "notify_before",
                &p.notify_before,
                "the expiry notification must come at least 7 days after a version is created",
            ),
        ];
        for (key, d, why) in pairs {
            if d.value.max_days() <= latest {
                continue;
            }
            // Point at what the user wrote: the trigger, or the lifetime if only that is theirs.
            let default = |explicit: bool, what: &str, value: &Duration| {
                if explicit {
                    what.to_string()
                } else {
                    format!("{what}: the default, {}", value.words())
                }
            };
            let (at, label, other, other_label) = if d.explicit || !p.expires_after.explicit {
                (
                    d.loc,
                    "too close to the expiry",
                    p.expires_after.loc,
                    default(
                        p.expires_after.explicit,
                        "expires_after",
                        &p.expires_after.value,
                    ),
                )
            } else {
                (
                    p.expires_after.loc,
                    "too short for the trigger",
                    d.loc,
                    default(d.explicit, key, &d.value),
                )
            };
            let mut f = Finding::new(
                meta("SPEC001"),
                at,
                format!(
                    "{why}: `key.{key}` is {} and `key.expires_after` {}",
                    bound(&d.value, "up to", d.value.max_days()),
                    bound(
                        &p.expires_after.value,
                        "at least",
                        p.expires_after.value.min_days()
                    ),
                ),
            )
            .label(label)
            .help(format!(
                "keep `key.{key}` at most {latest} days, or lengthen `key.expires_after` ({calendar}); defaults: rotate_after = \"{}\", notify_before = \"{}\", expires_after = \"{}\"",
                RotationPolicy::ROTATE_AFTER.iso(),
                RotationPolicy::NOTIFY_BEFORE.iso(),
                RotationPolicy::EXPIRES_AFTER.iso()
            ));
            if other != at {
                f = f.related(other, other_label);
            }
            self.errors.push(f);
        }
    }

    /// `identity.encryption = "system"` needs the system-assigned identity it names; behind a
    /// firewall nothing else reaches the key.
    fn encryption_identity_checks(&mut self, spec: &Spec) {
        let enc = &spec.encryption_system;
        if spec.vault.firewall.value && enc.explicit && !enc.value {
            self.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    enc.loc,
                    "behind a vault firewall the registry reaches its key only through its system-assigned identity: a user-assigned identity is not a trusted service (MicrosoftDocs/azure-docs#61064, #61015)",
                )
                .label("cannot be user-assigned behind a firewall")
                .related(spec.vault.firewall.loc, "the vault denies public network access")
                .help("remove `encryption = \"user-assigned\"` (a firewalled vault implies \"system\"), or set `vault.firewall = false`"),
            );
        }
        let sa = &spec.system_assigned;
        if spec.encryption_system.value && sa.explicit && !sa.value {
            self.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    sa.loc,
                    "`identity.encryption = \"system\"` reaches the key through the registry's system-assigned identity, which `system_assigned = false` turns off",
                )
                .label("cannot be false with encryption = \"system\"")
                .related(spec.encryption_system.loc, "the registry reaches its key through its system-assigned identity")
                .help("remove `system_assigned = false`, or `encryption = \"system\"`"),
            );
        }
    }

    /// `vault.firewall`: the combinations whose deployment cannot work.
    fn firewall_checks(&mut self, spec: &Spec) {
        let v = &spec.vault;
        if !v.firewall.value {
            return;
        }
        let sa = &spec.system_assigned;
        if sa.explicit && !sa.value {
            self.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    sa.loc,
                    "a vault behind a firewall is reached only through the registry's system-assigned identity: a user-assigned identity is not a trusted service (MicrosoftDocs/azure-docs#61064, #61015)",
                )
                .label("cannot be false behind a firewall")
                .related(v.firewall.loc, "the vault denies public network access")
                .help("remove `system_assigned = false` (a firewalled vault enables it), or set `vault.firewall = false`"),
            );
        }
        if v.create.value && v.access.value == Access::AccessPolicy {
            self.errors.push(
                Finding::new(
                    meta("SPEC001"),
                    v.firewall.loc,
                    "a firewalled vault the template creates needs `access = \"rbac\"`: each deployment rewrites a created vault's access-policy list, which would drop the grant of the registry's system-assigned identity just before the registry is deployed with that identity",
                )
                .label("needs access = \"rbac\"")
                .related(
                    v.access.loc,
                    if v.access.explicit {
                        "access policies"
                    } else {
                        "access policies (the default)"
                    },
                )
                .help("set `vault.access = \"rbac\"` (role assignments are resources of their own, which a vault redeployment keeps), or manage the vault outside the template (`vault.create = false`)"),
            );
        }
    }
}

/// "30 days", or "24 months (up to 731 days)": the words, and the calendar bound a check used
/// when the words are not in days.
fn bound(d: &Duration, side: &str, days: u64) -> String {
    if d.years == 0 && d.months == 0 {
        d.words()
    } else {
        format!("{} ({side} {days} days)", d.words())
    }
}

/// "21 days", or "2 years (730 to 731 days)" when the calendar length differs from the words.
fn described(d: &Duration) -> String {
    if d.years == 0 && d.months == 0 {
        d.words()
    } else {
        format!("{} ({})", d.words(), d.days_words())
    }
}

/// `YYYY-MM-DD` with an optional `-preview` (or other lowercase suffix).
///
/// The date is checked byte by byte before anything is sliced: a user string is only cut at a
/// position known to be a character boundary (the ten ASCII bytes of the date).
fn is_api_version(s: &str) -> bool {
    let Some(date) = s.as_bytes().get(..10) else {
        return false;
    };
    let date_ok = date.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    if !date_ok {
        return false;
    }
    match s[10..].strip_prefix('-') {
        None => s.len() == 10,
        Some(suffix) => !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_lowercase()),
    }
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
        assert!(!is_api_version("2025-11-01x"));
    }

    #[test]
    fn api_version_with_a_multibyte_character_anywhere_is_rejected_not_a_panic() {
        let base = "2025-11-01-preview";
        for c in ['é', '€', '\u{85}', '😀'] {
            for at in 0..=base.len() {
                let mut s = base.to_string();
                s.insert(at, c);
                assert!(!is_api_version(&s), "{s}");
            }
        }
        // The fuzzer's case: the non-ASCII character at byte 9, straddling byte 10.
        assert!(!is_api_version("2025-11-0é"));
    }

    #[test]
    fn suggestions_are_close_only() {
        assert_eq!(suggest("nmae", REGISTRY_KEYS).as_deref(), Some("name"));
        assert_eq!(suggest("rotaton", KEY_KEYS).as_deref(), Some("rotation"));
        assert_eq!(suggest("zzzzzz", KEY_KEYS), None);
    }
}
