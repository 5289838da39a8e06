//! `cotton-plugin-conformance LIB...`: runs the conformance kit against each
//! plugin library and exits non-zero when any check fails.

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() || paths.iter().any(|p| p == "-h" || p == "--help") {
        eprintln!("usage: cotton-plugin-conformance PATH/TO/PLUGIN.so [MORE.so ...]");
        std::process::exit(2);
    }
    let mut ok = true;
    for p in &paths {
        let report = cotton_plugin_conformance::run(std::path::Path::new(p));
        print!("{}", report.render());
        ok &= report.passed();
    }
    std::process::exit(if ok { 0 } else { 1 });
}
