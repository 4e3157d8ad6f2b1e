use acr_cmk::arm;
use std::time::Instant;
#[test]
fn prof() {
    let list = std::process::Command::new("find")
        .args(["/work/shared/corpus", "-name", "*.json"])
        .output()
        .unwrap();
    let files: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).unwrap_or_default()))
        .collect();
    for _ in 0..2 {
        let t = Instant::now();
        for (_, x) in &texts {
            let _ = serde_json::from_str::<serde_json::Value>(x.trim_start_matches('\u{feff}'));
        }
        let serde = t.elapsed();
        let t = Instant::now();
        for (_, x) in &texts {
            let _ = arm::json::parse(x);
        }
        let ours = t.elapsed();
        let mut per: Vec<(f64, String)> = Vec::new();
        let t = Instant::now();
        for (p, x) in &texts {
            if arm::detect(x) == arm::JsonKind::Template {
                let t1 = Instant::now();
                let _ = arm::load("x", Some(std::path::Path::new(p)), x, &[]);
                per.push((t1.elapsed().as_secs_f64(), p.clone()));
            }
        }
        let all = t.elapsed();
        per.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
        println!("serde {serde:?} parse {ours:?} detect+load {all:?}");
        for p in per.iter().take(8) {
            println!("  {:.1}ms {}", p.0 * 1000.0, p.1);
        }
    }
}
