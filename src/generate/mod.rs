//! The generator: a checked [`Spec`] → `CMKtemplate.json`, `CMKtemplate.parameters.json`,
//! `CMKtemplate.bicep`, `CMKtemplate.bicepparam` (+ a module for a grant in another resource
//! group) and `deploy.sh`.
//!
//! The ARM files are built as `serde_json::Value`s (never by pasting strings) and the Bicep
//! files from handlebars templates in `templates/`, both from one [`Plan`], so parameter names,
//! resources, API versions and property values agree. [`validate`] checks what was generated.

mod arm;
mod bicep;
pub mod escape;
pub mod plan;
pub mod rotate;
pub mod validate;

pub use crate::azure::api;
pub use plan::Plan;

use crate::spec::Spec;

pub const TEMPLATE_FILE: &str = "CMKtemplate.json";
pub const PARAMETERS_FILE: &str = "CMKtemplate.parameters.json";
pub const BICEP_FILE: &str = "CMKtemplate.bicep";
pub const BICEPPARAM_FILE: &str = "CMKtemplate.bicepparam";
/// The module holding the key access grant when the vault is in another resource group.
pub const BICEP_GRANT_MODULE_FILE: &str = "CMKtemplate.key-access.bicep";
pub const DEPLOY_FILE: &str = "deploy.sh";

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub name: &'static str,
    pub text: String,
}

/// The generated set, in a fixed order.
#[derive(Clone, Debug)]
pub struct Generated {
    pub files: Vec<File>,
}

impl Generated {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.as_str())
    }
}

/// Generate every file for a spec. The spec should be free of rule violations (the catalogue
/// on `crate::spec::model::model`); the files say what the spec says either way. An error here
/// is a generator bug (e.g. a template that does not render) and is reported as such.
pub fn generate(spec: &Spec) -> Result<Generated, String> {
    let plan = Plan::new(spec);
    let template = arm::template(&plan);
    let parameters = arm::parameters(&plan);
    let mut files = vec![
        File {
            name: TEMPLATE_FILE,
            text: to_json(&template),
        },
        File {
            name: PARAMETERS_FILE,
            text: to_json(&parameters),
        },
    ];
    files.extend(bicep::render(&plan)?);
    Ok(Generated { files })
}

/// Two-space indented JSON with a trailing newline: the one way JSON is written.
fn to_json(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a serde_json::Value always serializes");
    s.push('\n');
    s
}
