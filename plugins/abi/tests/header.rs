//! The checked-in C header is exactly what cbindgen generates from `src/ffi.rs`.
//! After changing the ABI, regenerate it with
//! `COTTON_BLESS=1 cargo test -p cotton-plugin-abi --test header`.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/ffi.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/cotton_plugin.h");
    if std::env::var_os("COTTON_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} drifted from src/ffi.rs: run `COTTON_BLESS=1 cargo test -p cotton-plugin-abi --test header`\n--- generated ---\n{}",
        path.display(),
        String::from_utf8_lossy(&generated)
    );
}

#[test]
fn header_declares_the_abi() {
    let h = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/cotton_plugin.h")).unwrap();
    for needle in [
        "#define COTTON_PLUGIN_ABI_VERSION 1",
        "#define COTTON_WIRE_VERSION 1",
        "typedef struct CottonPluginTable",
        "const CottonPluginTable *cotton_plugin_entry(uint32_t host_abi_version);",
        "void (*free_buf)(struct CottonBuf buf);",
    ] {
        assert!(h.contains(needle), "header lacks `{needle}`");
    }
}
