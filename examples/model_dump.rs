//! Debug aid: print the model each front end builds of a Bicep file and of the ARM JSON the
//! compiler made of it, and the rule findings on each, side by side.
//!
//! ```text
//! cargo run --example model_dump -- main.bicep [main.json] [--parameters p.json] [--type registries]
//! ```
//!
//! `main.json` defaults to the Bicep file's name with `.json`; `--type` prints the bodies of
//! the resources whose type contains the text.

use acr_cmk::unit::Unit;
use acr_cmk::{arm, bicep, rules};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut files = Vec::new();
    let mut params = Vec::new();
    let mut type_filter = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--parameters" => match args
                .next()
                .map(|p| std::fs::read_to_string(&p).map(|t| (p, t)))
            {
                Some(Ok(pair)) => params.push(pair),
                _ => return usage("--parameters needs a readable file"),
            },
            "--type" => type_filter = args.next().unwrap_or_default().to_ascii_lowercase(),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let Some(bicep_path) = files.first().cloned() else {
        return usage("a .bicep file is required");
    };
    let json_path = files
        .get(1)
        .cloned()
        .unwrap_or_else(|| bicep_path.with_extension("json"));
    let (Ok(btext), Ok(jtext)) = (
        std::fs::read_to_string(&bicep_path),
        std::fs::read_to_string(&json_path),
    ) else {
        return usage("both the .bicep file and its compiled .json must be readable");
    };
    let bu = bicep::load(
        &bicep_path.to_string_lossy(),
        Some(&bicep_path),
        &btext,
        &params,
    );
    let au = arm::load(
        &json_path.to_string_lossy(),
        Some(&json_path),
        &jtext,
        &params,
    );
    for (side, unit) in [("bicep", &bu), ("arm", &au)] {
        dump(side, unit, &type_filter);
    }
    ExitCode::SUCCESS
}

fn dump(side: &str, u: &Unit, type_filter: &str) {
    println!("===== {side}: {} load findings", u.findings.len());
    for f in &u.findings {
        println!("  load {} {}", f.code, f.message);
    }
    for (i, r) in u.model.resources.iter().enumerate() {
        println!(
            "[{i}] {} {} existing={} {:?} deps={:?} parent={:?}",
            r.ty,
            r.display_name(),
            r.existing,
            r.presence,
            r.depends_on,
            r.parent_deployment
        );
        if !type_filter.is_empty() && r.ty.to_ascii_lowercase().contains(type_filter) {
            println!("{:#?}", r.body.value);
        }
    }
    let ctx = rules::Ctx::new(&u.model);
    for f in rules::run(&ctx, &|_| true) {
        println!("  finding {} {} {}", f.code, f.level.as_str(), f.message);
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "model_dump: {why}\nusage: model_dump FILE.bicep [FILE.json] [--parameters P.json] [--type TEXT]"
    );
    ExitCode::from(2)
}
