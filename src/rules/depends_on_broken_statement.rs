use crate::finding::Finding;
use crate::model::{BROKEN_REASON, BrokenStatement, Node, Part, Sym, Value};

use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Says, at note level, that a resource could not be fully checked because it uses a
    /// symbol of a statement with a syntax error. The Bicep front end recovers statement by
    /// statement: a statement with a syntax error is reported (BICEP000) and skipped, and the
    /// rest of the file is checked. A value that refers to a skipped statement is unknown, so
    /// the rules that need it cannot conclude; this note names the statement, and where the
    /// resource uses it when that is still known.
    ///
    /// ## Why is this bad?
    /// The file does not compile (BICEP000 is an error, and the exit code is 2). Once the
    /// syntax error is fixed, the value may break a rule that could not see it: the other
    /// findings of the file are complete only for what does not depend on the statement.
    ///
    /// ## Example
    /// ```json
    /// // Not applicable: a JSON syntax error stops the whole file (ARM000).
    /// ```
    ///
    /// ```bicep
    /// var keyName = concat('cmk'
    ///
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   ...
    ///       keyIdentifier: 'https://contoso-kv.vault.azure.net/keys/${keyName}'
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// // Not applicable.
    /// ```
    ///
    /// ```bicep
    /// var keyName = concat('cmk', '-acr')
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/file>
    pub struct DependsOnBrokenStatement {
        code: "BICEP002",
        name: "depends-on-broken-statement",
        level: Note,
        summary: "A resource could not be fully checked: it uses a statement with a syntax error",
    }
}

impl Rule for DependsOnBrokenStatement {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        if m.broken.is_empty() {
            return;
        }
        let in_scope: Vec<usize> = (0..m.resources.len()).filter(|&i| ctx.in_scope(i)).collect();
        for b in &m.broken {
            for &i in &in_scope {
                let r = &m.resources[i];
                // The resource referred to the statement while it was evaluated, or holds a
                // value that is unknown because of it (passed through a module's or a
                // `.bicepparam` file's parameters).
                let used = use_of(&r.body, b);
                if used.is_none() && !b.used_by.contains(&i) {
                    continue;
                }
                let name = r
                    .symbolic_name
                    .clone()
                    .unwrap_or_else(|| crate::query::short_name(r));
                let path = used
                    .unwrap_or_default()
                    .iter()
                    .fold(crate::finding::PropPath::root(), |p, k| p.key(k));
                out.push(
                    Finding::on(
                        &Self::META,
                        i,
                        path,
                        format!(
                            "`{name}` could not be fully checked: it depends on {}, which has a syntax error at {}",
                            b.what, b.at
                        ),
                    )
                    .label("unknown: depends on a statement with a syntax error")
                    .related(b.error, "the syntax error")
                    .help("fix the syntax error; the rules then check this value too"),
                );
            }
        }
    }
}

/// The path in `body` of the first value that is unknown because of `b`.
fn use_of(body: &Node, b: &BrokenStatement) -> Option<Vec<String>> {
    let mine = |why: &str| match &b.symbol {
        Some(s) => why == BrokenStatement::unknown_reason(s),
        None => why.ends_with(BROKEN_REASON),
    };
    match &body.value {
        Value::Sym(s) => s
            .parts
            .iter()
            .any(|p| matches!(p, Part::Sym(Sym::Opaque(why)) if mine(why)))
            .then(Vec::new),
        Value::Object(o) => o.entries.iter().find_map(|(k, v)| {
            let mut p = use_of(v, b)?;
            p.insert(0, k.name.clone());
            Some(p)
        }),
        Value::Array(a) => a.iter().enumerate().find_map(|(i, v)| {
            let mut p = use_of(v, b)?;
            p.insert(0, i.to_string());
            Some(p)
        }),
        _ => None,
    }
}
