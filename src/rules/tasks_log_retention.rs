use crate::finding::Finding;
use crate::query::registries::{children_of, cmk_registries};
use crate::rules::{Ctx, Rule, RuleMeta};

/// ACR Tasks resource types whose runs produce logs.
const TASK_TYPES: [&str; 3] = [
    "Microsoft.ContainerRegistry/registries/tasks",
    "Microsoft.ContainerRegistry/registries/taskRuns",
    "Microsoft.ContainerRegistry/registries/runs",
];

declare_rule! {
    /// ## What it does
    /// Notes ACR Tasks (`registries/tasks`, `registries/taskRuns`) declared on a registry with a
    /// customer-managed key.
    ///
    /// ## Why is this bad?
    /// It is not wrong, but it surprises: a CMK registry keeps task run logs for only 24 hours.
    /// If you need build logs for audits or debugging, export them (for example to a storage
    /// account or Log Analytics) when a run finishes.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries/tasks", "name": "[concat(parameters('registry_name'), '/build')]", ... }
    /// ```
    ///
    /// ```bicep
    /// resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-06-01-preview' = { parent: acr, name: 'build', ... }
    /// ```
    ///
    /// ## Use instead
    /// Keep the task, export its logs, and record the decision with a suppression:
    /// ```json
    /// "metadata": { "acr-cmk": { "ignore": [ "CMK011" ], "reason": "run logs are exported to Log Analytics" } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK011 // run logs are exported to Log Analytics
    /// resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-06-01-preview' = { ... }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("you can retain logs for Azure Container Registry tasks for only 24 hours")
    /// - <https://learn.microsoft.com/azure/container-registry/container-registry-tasks-logs#alternative-log-storage>
    ///   (exporting run logs)
    pub struct TasksLogRetention {
        code: "CMK011",
        name: "tasks-log-retention",
        level: Note,
        summary: "ACR Tasks run logs are kept only 24 hours on a registry with a customer-managed key",
    }
}

impl Rule for TasksLogRetention {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (ri, reg) in cmk_registries(m) {
            for (ti, task) in children_of(m, reg, &TASK_TYPES) {
                out.push(
                    Finding::on(
                        &Self::META,
                        ti,
                        "",
                        format!(
                            "task '{}' runs on registry '{}', which uses a customer-managed key: its run logs are kept only 24 hours",
                            task.display_name(),
                            reg.display_name()
                        ),
                    )
                    .assuming(ri)
                    .related(reg.loc, "the CMK registry")
                    .help("export task run logs if you need them for longer"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn task() -> serde_json::Value {
        with(
            good(),
            json!([{"sym": "t", "type": "Microsoft.ContainerRegistry/registries/tasks",
            "name": "${param:registry_name}/build", "properties": {}}]),
        )
    }

    #[test]
    fn no_task_is_clean() {
        assert!(check(&TasksLogRetention, &model(good())).is_empty());
    }

    #[test]
    fn task_on_cmk_registry_is_noted() {
        let f = check(&TasksLogRetention, &model(task()));
        assert_eq!(pointers(&f), ["/resources/4"]);
        assert_eq!(f[0].level, crate::finding::Level::Note);
    }

    #[test]
    fn task_on_plain_registry_is_clean() {
        let list = edit(task(), "acr", |r| {
            r["properties"]["encryption"]["status"] = "disabled".into()
        });
        assert!(check(&TasksLogRetention, &model(list)).is_empty());
    }
}
