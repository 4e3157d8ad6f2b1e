use acr_cmk::arm;
#[test]
fn dump() {
    let p = std::env::var("F").unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let u = arm::load(&p, Some(std::path::Path::new(&p)), &text, &[]);
    for f in &u.findings {
        println!("FINDING {} {:?}", f.message, f.loc);
    }
    for (i, r) in u.model.resources.iter().enumerate() {
        println!(
            "#{i} {} name={} id={} pres={:?} existing={} deps={:?} contains={:?} parent={:?} ptr={}",
            r.ty,
            r.display_name(),
            r.id,
            r.presence,
            r.existing,
            r.depends_on,
            r.contains,
            r.parent_deployment,
            r.pointer
        );
        if std::env::var("BODY").is_ok() {
            println!("{}", acr_cmk::arm::functions::to_json(&r.body.value));
        }
    }
}
