use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a file reference that acr-cmk does not follow: a Bicep `module` or `import`
    /// path, or an ARM `templateLink.relativePath`, that is absolute, leaves the lint root
    /// (with `..` or through a symbolic link), is not a regular file (a FIFO, a device), is
    /// larger than the file-size limit, or does not exist. The finding is on the line that
    /// makes the reference and names the path; it shows nothing of what the path leads to.
    /// The front ends emit it; the rest of the file is still linted.
    ///
    /// The lint root is the repository's top level (the nearest directory above the working
    /// directory with a `.git`), else the working directory; `acr-cmk lint --root DIR` sets it.
    ///
    /// ## Why is this bad?
    /// What the referenced template deploys is not known, so the file cannot be called clean:
    /// a grant or a registry may be in it. The exit code is 2, as for an input that cannot be
    /// parsed. And a template in a pull request must not make the linter read (and quote into a
    /// CI log) files of the machine it runs on, such as `/proc/self/environ`.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "grant",
    ///   "properties": { "mode": "Incremental",
    ///     "templateLink": { "relativePath": "../../../shared/grant.json" } } }
    /// ```
    ///
    /// ```bicep
    /// module grant '/etc/templates/grant.bicep' = { name: 'grant' }
    /// ```
    ///
    /// ## Use instead
    /// Keep linked templates and modules in the repository and refer to them relatively (or
    /// lint with `--root` set to the directory that holds them all):
    /// ```json
    /// { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "grant",
    ///   "properties": { "mode": "Incremental",
    ///     "templateLink": { "relativePath": "modules/grant.json" } } }
    /// ```
    ///
    /// ```bicep
    /// module grant 'modules/grant.bicep' = { name: 'grant' }
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: references are read only inside the lint root, as regular files under
    ///   the file-size limit, so a pull request cannot make the linter read or quote files of
    ///   the machine it runs on (README, "What acr-cmk reads")
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/linked-templates#linked-template-with-relative-path>
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/modules>
    pub struct UnreadableReference {
        code: "REF001",
        name: "unreadable-reference",
        level: Error,
        summary: "A module, import or linked template is not read: outside the lint root, not a regular file, too large or missing",
    }
}

impl Rule for UnreadableReference {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the front ends when they refuse a reference, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}

/// The finding for a refused reference: `written` is the path as the file wrote it.
pub fn finding(loc: crate::source::Loc, written: &str, why: &crate::read::ReadError) -> Finding {
    Finding::new(
        &UnreadableReference::META,
        loc,
        format!("'{}' is not read: {why}", crate::quote::value(written)),
    )
    .label("reference not followed")
    .help(
        "keep modules and linked templates inside the repository and refer to them with a relative path; \
         what this reference deploys is not checked",
    )
}
