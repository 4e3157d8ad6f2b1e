//! The rule catalogue and the engine that runs it.
//!
//! One rule per file. Each file declares its rule with `declare_rule!`, whose doc comment
//! (headings: What it does / Why is this bad? / Example / Use instead) is the text
//! `acr-cmk explain CODE` prints. Rules are pure functions over the format-neutral
//! [`crate::model::Model`], whichever front end built it.

use crate::finding::Finding;
pub use crate::finding::RuleMeta;

use crate::azure::types::REGISTRY;
use crate::model::{Model, Presence};
use crate::schema;
use std::sync::OnceLock;

/// What a rule gets to look at.
pub struct Ctx<'a> {
    pub model: &'a Model,
    /// The previous version of the template (`lint --baseline`; for CMK027 also the previous
    /// `build` output), for the rules that compare.
    pub baseline: Option<&'a Model>,
    /// Which resources the schema and naming rules look at.
    pub scope: ResourceScope,
    /// Computed on first use, shared by the rules of one run over the model.
    wiring: OnceLock<Vec<bool>>,
    schema: OnceLock<Vec<Option<schema::resources::Checked>>>,
}

/// Which resources the schema and naming rules (SCH001–SCH004, CMK013) look at:
/// `check-resources` in `acr-cmk.toml`. The CMK rules always follow the wiring they check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceScope {
    /// The resources of a registry's CMK wiring ([`crate::query::wiring`]); with
    /// `every_registry` (CMK017 cmk-required is on) every registry as well.
    CmkWiring { every_registry: bool },
    /// Every resource the template declares.
    All,
}

impl Default for ResourceScope {
    fn default() -> Self {
        ResourceScope::CmkWiring {
            every_registry: false,
        }
    }
}

impl<'a> Ctx<'a> {
    /// A context with the default scope (the CMK wiring) and no baseline.
    pub fn new(model: &'a Model) -> Self {
        Ctx {
            model,
            baseline: None,
            scope: ResourceScope::default(),
            wiring: OnceLock::new(),
            schema: OnceLock::new(),
        }
    }
    pub fn baseline(mut self, baseline: Option<&'a Model>) -> Self {
        self.baseline = baseline;
        self
    }
    pub fn scope(mut self, scope: ResourceScope) -> Self {
        self.scope = scope;
        self
    }

    /// Does resource `i` fall in the scope of the schema and naming rules?
    pub fn in_scope(&self, i: usize) -> bool {
        match self.scope {
            ResourceScope::All => true,
            ResourceScope::CmkWiring { every_registry } => {
                self.wiring().get(i).copied().unwrap_or(false)
                    || (every_registry && self.model.resources[i].is_type(REGISTRY))
            }
        }
    }

    /// Does the model have any resource in scope (a file the schema rules speak about)?
    pub fn any_in_scope(&self) -> bool {
        (0..self.model.resources.len()).any(|i| self.in_scope(i))
    }

    fn wiring(&self) -> &[bool] {
        self.wiring
            .get_or_init(|| crate::query::wiring::cmk_wiring(self.model))
    }

    /// Resource `i`'s body against the schema of its type and API version (SCH001, SCH004):
    /// `None` when it is out of scope, an `existing` reference (nothing of it is deployed), or
    /// has no schema. Checked once per resource for every rule that asks.
    pub fn schema_check(&self, i: usize) -> Option<&schema::resources::Checked> {
        self.schema
            .get_or_init(|| {
                self.model
                    .resources
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        if r.existing || !self.in_scope(i) {
                            return None;
                        }
                        schema::resources::check(&r.ty, r.api_version.as_deref(), &r.body)
                    })
                    .collect()
            })
            .get(i)?
            .as_ref()
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>);
}

/// Declare a rule: a unit struct and its [`RuleMeta`] (docs taken from the doc comment). The
/// file then implements [`Rule`] in plain Rust. Defined before the rule modules below, which see
/// it by textual scope (it is not exported: only rule files declare rules).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub struct $name:ident {
            code: $code:literal,
            name: $slug:literal,
            level: $level:ident,
            summary: $summary:literal $(,)?
            $(default_enabled: $enabled:literal $(,)?)?
        }
    ) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            pub const META: $crate::finding::RuleMeta = $crate::finding::RuleMeta {
                code: $code,
                name: $slug,
                level: $crate::finding::Level::$level,
                default_enabled: declare_rule!(@enabled $($enabled)?),
                summary: $summary,
                docs: concat!($($doc, "\n"),+),
            };
        }
    };
    (@enabled) => { true };
    (@enabled $e:literal) => { $e };
}

pub mod catalog;
#[cfg(test)]
pub mod testing;

/// Declares each rule module and lists it in [`all`]: one line per rule, in the order of
/// the catalogue (sorted by code; front-end and engine codes first).
macro_rules! catalogue {
    ($($module:ident :: $rule:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every rule, sorted by code.
        pub fn all() -> &'static [&'static dyn Rule] {
            &[$(&$module::$rule),*]
        }
    };
}

catalogue! {
    invalid_json::InvalidJson,
    template_without_schema::TemplateWithoutSchema,
    invalid_bicep::InvalidBicep,
    module_not_followed::ModuleNotFollowed,
    depends_on_broken_statement::DependsOnBrokenStatement,
    invalid_config::InvalidConfig,
    premium_sku_required::PremiumSkuRequired,
    rsa_key_required::RsaKeyRequired,
    content_trust_unsupported::ContentTrustUnsupported,
    rotation_mode_mismatch::RotationModeMismatch,
    invalid_key_identifier::InvalidKeyIdentifier,
    user_assigned_identity_required::UserAssignedIdentityRequired,
    key_access_missing::KeyAccessMissing,
    registry_before_key_access::RegistryBeforeKeyAccess,
    vault_purge_protection::VaultPurgeProtection,
    cmk_immutable::CmkImmutable,
    tasks_log_retention::TasksLogRetention,
    vault_firewall_trusted_services::VaultFirewallTrustedServices,
    invalid_resource_name::InvalidResourceName,
    api_version_without_encryption::ApiVersionWithoutEncryption,
    read_only_property_set::ReadOnlyPropertySet,
    key_vault_mismatch::KeyVaultMismatch,
    cmk_required::CmkRequired,
    over_privileged_key_access::OverPrivilegedKeyAccess,
    rbac_propagation_race::RbacPropagationRace,
    key_access_unverified::KeyAccessUnverified,
    key_not_usable_for_wrapping::KeyNotUsableForWrapping,
    managed_hsm_key_access_unchecked::ManagedHsmKeyAccessUnchecked,
    encryption_identity_removed::EncryptionIdentityRemoved,
    key_version_rollback::KeyVersionRollback,
    limit_exceeded::LimitExceeded,
    unreadable_reference::UnreadableReference,
    schema_violation::SchemaViolation,
    invalid_template_structure::InvalidTemplateStructure,
    unknown_api_version::UnknownApiVersion,
    string_for_typed_value::StringForTypedValue,
    invalid_spec::InvalidSpec,
    suppression_without_reason::SuppressionWithoutReason,
    invalid_suppression::InvalidSuppression,
    unused_suppression::UnusedSuppression,
}

/// Metadata by code (case-insensitive). Panics on an unknown code: callers pass codes that are
/// constants of the program, so a miss is a programming error.
pub fn meta(code: &str) -> &'static RuleMeta {
    all()
        .iter()
        .map(|r| r.meta())
        .find(|m| m.code.eq_ignore_ascii_case(code))
        .unwrap_or_else(|| panic!("no rule {code}"))
}

/// A rule's docs as Markdown (the doc comment without its leading space).
pub fn docs(meta: &RuleMeta) -> String {
    let mut out = String::new();
    for line in meta.docs.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The README rule table (Markdown), kept in step with the catalogue by a test.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| Code | Name | Level | Default | What it checks |\n|---|---|---|---|---|\n");
    for r in all() {
        let m = r.meta();
        out.push_str(&format!(
            // The anchor is what SARIF helpUri (`<repository>#cmk001`) points at.
            "| <a id=\"{}\"></a>{} | `{}` | {} | {} | {} |\n",
            m.code.to_ascii_lowercase(),
            m.code,
            m.name,
            m.level.as_str(),
            if m.default_enabled { "on" } else { "off" },
            m.summary.replace('|', "\\|")
        ));
    }
    out
}

/// Find a rule by code or slug (case-insensitive).
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    all().iter().copied().find(|r| {
        r.meta().code.eq_ignore_ascii_case(code) || r.meta().name.eq_ignore_ascii_case(code)
    })
}

/// Run every enabled rule over a model. Findings on resources deployed only under an unknown
/// condition are lowered one level and say so.
pub fn run(ctx: &Ctx, enabled: &dyn Fn(&RuleMeta) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in all() {
        if enabled(rule.meta()) {
            check(*rule, ctx, &mut out);
        }
    }
    out
}

/// The label of a value's use when the finding points where the value is written.
pub const USED_HERE: &str = "the value is used here";

/// Run one rule and settle its findings: this is the boundary between the rules, which speak
/// of resources and property paths, and the reports, which need spans and pointers.
pub fn check(rule: &dyn Rule, ctx: &Ctx, out: &mut Vec<Finding>) {
    let start = out.len();
    rule.check(ctx, out);
    for f in &mut out[start..] {
        settle(ctx.model, f);
    }
}

/// Give a finding on a model resource its span and pointer, and lower it one level ("if
/// deployed: …") when it holds only if a resource is deployed whose condition the tool cannot
/// evaluate: its own resource, or one it assumes.
///
/// A value written in one place and used in another (a parameter set in a parameters file or
/// `.bicepparam`, a parameter's default, a variable) is reported where it is written, the text
/// to change; where the resource uses it is the first related label.
fn settle(model: &Model, f: &mut Finding) {
    if let (Some(r), Some(path)) = (f.resource, &f.path) {
        let (loc, pointer, used_at) = model.locate_with_use(r, path.segments());
        f.pointer = pointer;
        match f.at {
            Some(at) => f.loc = at,
            None => (f.loc, f.used_at) = (loc, used_at),
        }
    }
    if let Some(u) = f.used_at {
        f.related.insert(
            0,
            crate::finding::Label {
                loc: u,
                message: USED_HERE.into(),
            },
        );
    }
    let conditional =
        |i: usize| model.resources.get(i).map(|r| r.presence) == Some(Presence::IfDeployed);
    if f.resource
        .into_iter()
        .chain(f.assumes.iter().copied())
        .any(conditional)
    {
        f.level = f.level.lower();
        f.message = format!("if deployed: {}", f.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Level;

    #[test]
    fn codes_are_unique_and_sorted() {
        let codes: Vec<_> = all().iter().map(|r| r.meta().code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
        let mut dedup = codes.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), codes.len());
    }

    #[test]
    fn every_rule_is_documented() {
        for r in all() {
            let m = r.meta();
            let docs = docs(m);
            for h in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(docs.contains(&format!("{h}\n")), "{} lacks {h}", m.code);
            }
            for lang in ["```json", "```bicep"] {
                assert!(docs.contains(lang), "{} has no {lang} snippet", m.code);
            }
            assert!(
                !m.summary.is_empty() && !m.summary.contains('\n'),
                "{}",
                m.code
            );
        }
    }

    #[test]
    fn slugs_are_kebab_case_and_unique() {
        let mut names: Vec<_> = all().iter().map(|r| r.meta().name).collect();
        for n in &names {
            assert!(
                !n.is_empty()
                    && !n.starts_with('-')
                    && !n.ends_with('-')
                    && !n.contains("--")
                    && n.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all().len());
    }

    #[test]
    fn meta_and_find_cover_every_code_the_loaders_use() {
        for code in [
            "ARM000", "BICEP000", "BICEP001", "SPEC001", "SUP001", "CMK004", "SCH001", "REF001",
        ] {
            assert_eq!(meta(code).code, code);
        }
        assert_eq!(
            find("content-trust-unsupported").map(|r| r.meta().code),
            Some("CMK003")
        );
        assert_eq!(find("cmk003").map(|r| r.meta().code), Some("CMK003"));
        assert!(find("CMK999").is_none());
    }

    #[test]
    fn the_whole_catalogue_is_quiet_on_a_correct_deployment() {
        let model = testing::model(testing::good());
        let ctx = Ctx::new(&model).baseline(Some(&model));
        let findings = run(&ctx, &|_| true);
        let msgs: Vec<_> = findings
            .iter()
            .map(|f| format!("{} {}", f.code, f.message))
            .collect();
        assert!(msgs.is_empty(), "{msgs:#?}");
    }

    #[test]
    fn findings_on_conditional_resources_are_lowered() {
        let list = testing::edit(testing::good(), "acr", |r| {
            r["ifDeployed"] = true.into();
            r["sku"]["name"] = "Basic".into();
        });
        let model = testing::model(list);
        let ctx = Ctx::new(&model);
        let f = run(&ctx, &|m| m.code == "CMK001");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].level, Level::Warning);
        assert!(f[0].message.starts_with("if deployed: "));
    }

    #[test]
    fn findings_that_assume_a_conditional_resource_are_lowered_once() {
        // The vault is unconditional, the registry using its key is not: CMK009 holds only if
        // the registry is deployed. Both conditional: still lowered once.
        for both in [false, true] {
            let list = testing::edit(testing::good(), "acr", |r| r["ifDeployed"] = true.into());
            let list = testing::edit(list, "kv", |v| {
                v["properties"]["enablePurgeProtection"] = false.into();
                if both {
                    v["ifDeployed"] = true.into();
                }
            });
            let model = testing::model(list);
            let ctx = Ctx::new(&model);
            let f = run(&ctx, &|m| m.code == "CMK009");
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].level, Level::Warning);
            assert_eq!(
                f[0].message,
                "if deployed: vault 'kvcmk01' has enablePurgeProtection false; it must be the boolean true"
            );
        }
    }

    #[test]
    fn the_engine_locates_findings_by_resource_and_path() {
        use crate::finding::PropPath;
        let list = testing::edit(testing::good(), "acr", |r| {
            r["identity"]["userAssignedIdentities"] =
                serde_json::json!({"/subscriptions/s/x~y": {"clientId": "c"}})
        });
        let model = testing::model(list);
        let acr = &model.resources[3];
        let path = PropPath::from("identity.userAssignedIdentities")
            .key("/subscriptions/s/x~y")
            .key("clientId");
        let (loc, pointer) = model.locate(3, path.segments());
        assert_eq!(
            pointer,
            "/resources/3/identity/userAssignedIdentities/~1subscriptions~1s~1x~0y/clientId"
        );
        let written = acr.body.path("identity.userAssignedIdentities").unwrap();
        assert_eq!(
            loc,
            written.as_object().unwrap().entries[0]
                .1
                .get("clientId")
                .unwrap()
                .loc
        );
        // Not written: the deepest node that is, and the whole path in the pointer.
        let (loc, pointer) = model.locate(3, PropPath::from("sku.tier.x").segments());
        assert_eq!(loc, acr.get("sku").unwrap().loc);
        assert_eq!(pointer, "/resources/3/sku/tier/x");
        // Nothing written: the resource. Array indexes walk arrays.
        assert_eq!(
            model.locate(3, PropPath::from("zones").segments()).0,
            acr.loc
        );
        let entry = PropPath::from("properties.accessPolicies")
            .index(0)
            .key("objectId");
        let (loc, pointer) = model.locate(2, entry.segments());
        assert_eq!(pointer, "/resources/2/properties/accessPolicies/0/objectId");
        assert_eq!(
            loc,
            model.resources[2]
                .get("properties.accessPolicies")
                .unwrap()
                .as_array()
                .unwrap()[0]
                .get("objectId")
                .unwrap()
                .loc
        );
    }

    /// A finding on a value written elsewhere (a parameter's value) points where it is written
    /// and labels its use first; a use that encloses the value (a literal in place) is no label,
    /// and the use of an object given as a whole labels a finding on one of its members.
    #[test]
    fn findings_on_a_value_used_elsewhere_label_the_use_first() {
        use crate::source::Loc;
        fn member<'a>(n: &'a mut crate::model::Node, key: &str) -> &'a mut crate::model::Node {
            match &mut n.value {
                crate::model::Value::Object(o) => {
                    &mut o.entries.iter_mut().find(|(k, _)| k.name == key).unwrap().1
                }
                _ => panic!("not an object"),
            }
        }
        let written = Loc::new(7, 10, 20);
        let use_site = Loc::new(0, 100, 103);
        let cmk001 = |edit: &dyn Fn(&mut crate::model::Node)| {
            let list = testing::edit(testing::good(), "acr", |r| {
                r["sku"]["name"] = "Basic".into()
            });
            let mut model = testing::model(list);
            edit(&mut model.resources[3].body);
            let ctx = Ctx::new(&model);
            let mut f = run(&ctx, &|m| m.code == "CMK001");
            assert_eq!(f.len(), 1);
            f.remove(0)
        };
        // The value itself records its use.
        let f = cmk001(&|body| {
            let name = member(member(body, "sku"), "name");
            name.loc = written;
            *name = name.clone().used_at(use_site);
        });
        assert_eq!((f.loc, f.used_at), (written, Some(use_site)));
        assert_eq!(f.related[0].loc, use_site);
        assert_eq!(f.related[0].message, USED_HERE);
        // The object holding it was used as a whole (`sku: skuObject`).
        let f = cmk001(&|body| {
            let sku = member(body, "sku");
            member(sku, "name").loc = written;
            sku.used_at = Some(use_site);
        });
        assert_eq!((f.loc, f.related[0].loc), (written, use_site));
        // Written where it is used: no second label.
        let f = cmk001(&|body| {
            let name = member(member(body, "sku"), "name");
            let at = name.loc;
            *name = name.clone().used_at(Loc {
                end: at.end + 5,
                ..at
            });
        });
        assert_eq!(f.used_at, None);
        assert!(f.related.iter().all(|l| l.message != USED_HERE));
    }

    #[test]
    fn only_cmk_required_is_off_by_default() {
        let off: Vec<_> = all()
            .iter()
            .map(|r| r.meta())
            .filter(|m| !m.default_enabled)
            .map(|m| m.code)
            .collect();
        assert_eq!(off, ["CMK017"]);
    }
}
