//! The C example plugin builds with `cc` against the checked-in header and
//! passes the conformance kit; the header itself compiles as strict C99 and C++.

use cotton_plugin_conformance::{build, run};

#[test]
fn c_example_builds_and_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let lib = build::c_example(dir.path());
    let r = run(&lib);
    assert!(r.passed(), "{}", r.render());
    let p = r.plugin.unwrap();
    assert_eq!((p.name.as_str(), p.model.as_str(), p.version.as_str()), ("cotton-text-printer", "TEXT", "1.0.0"));
}

#[test]
fn header_compiles_pedantically() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("h.c");
    std::fs::write(
        &src,
        "#include \"cotton_plugin.h\"\n\
         _Static_assert(sizeof(CottonPluginTable) == 4 * 4 + 3 * sizeof(CottonStr) + 3 * sizeof(void *), \"layout\");\n\
         int probe(void);\nint probe(void) { return COTTON_PLUGIN_ABI_VERSION; }\n",
    )
    .unwrap();
    build::cc_shared(&[&src], &dir.path().join("libh.so"), &["-std=c11", "-pedantic"]);
}
