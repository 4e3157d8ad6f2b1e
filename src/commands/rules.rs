//! `acr-cmk rules [--format json]`: the rule catalogue.

use crate::cli::CatalogFormat;
use crate::exit::Exit;
use crate::rules;

pub fn run(format: CatalogFormat) -> Exit {
    match format {
        CatalogFormat::Text => print!("{}", text()),
        CatalogFormat::Json => println!("{}", json()),
    }
    Exit::Ok
}

/// One line per rule: code, name, level, default, summary (aligned columns).
pub fn text() -> String {
    let metas: Vec<_> = rules::all().iter().map(|r| r.meta()).collect();
    let w = metas.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for m in metas {
        out.push_str(&format!(
            "{:<8} {:<w$} {:<7} {:<3} {}\n",
            m.code,
            m.name,
            m.level.as_str(),
            if m.default_enabled { "on" } else { "off" },
            m.summary
        ));
    }
    out
}

/// The catalogue as a JSON array (stable field names).
pub fn json() -> String {
    let list: Vec<_> = rules::all()
        .iter()
        .map(|r| {
            let m = r.meta();
            serde_json::json!({
                "code": m.code,
                "name": m.name,
                "level": m.level.as_str(),
                "default_enabled": m.default_enabled,
                "summary": m.summary,
            })
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_default()
}
