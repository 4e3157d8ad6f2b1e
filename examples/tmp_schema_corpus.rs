fn main() {
    let mut n = 0;
    let mut counts = std::collections::BTreeMap::new();
    for entry in ignore::WalkBuilder::new("/work/shared/corpus").build() {
        let e = entry.unwrap();
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let text = text.trim_start_matches('\u{feff}');
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
            continue;
        };
        if !v
            .get("$schema")
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.contains("deploymentTemplate"))
        {
            continue;
        }
        n += 1;
        for err in acr_cmk::schema::validate_template(&v) {
            if err.pointer.matches("/resources/").count() == 0
                && !err.message.contains("unknown property")
            {
                // root errors
            }
            let key = format!(
                "{} :: {}",
                err.pointer.rsplit('/').next().unwrap_or(""),
                err.message.chars().take(90).collect::<String>()
            );
            *counts.entry(key).or_insert(0) += 1;
            if std::env::var("SHOW").is_ok() {
                println!("{} {} {}", p.display(), err.pointer, err.message);
            }
        }
    }
    println!("{n} templates");
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    for (k, c) in v.iter().take(60) {
        println!("{c:5} {k}");
    }
}
