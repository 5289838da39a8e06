//! The project's collector plugins, built and loaded as real shared libraries,
//! pass the conformance kit.

use cotton_plugin_conformance::{build, run};

#[test]
fn collector_iv_conforms() {
    let lib = build::cargo_cdylibs(&["cotton-collector-iv"]).remove(0);
    let r = run(&lib);
    assert!(r.passed(), "{}", r.render());
}

#[test]
fn collector_v_conforms() {
    let lib = build::cargo_cdylibs(&["cotton-collector-v"]).remove(0);
    let r = run(&lib);
    assert!(r.passed(), "{}", r.render());
}

#[test]
fn collector_vi_conforms() {
    let lib = build::cargo_cdylibs(&["cotton-collector-vi"]).remove(0);
    let r = run(&lib);
    assert!(r.passed(), "{}", r.render());
}
