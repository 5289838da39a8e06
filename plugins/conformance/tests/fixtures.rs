//! Deliberately broken plugins are refused at load with a clear reason, a
//! panic inside a Rust plugin never crosses the boundary, and the good plugins
//! in the same folder keep working.

use std::path::{Path, PathBuf};

use cotton_plugin_abi::ffi::*;
use cotton_plugin_conformance::build;
use cotton_plugin_host::{LoadedPlugin, PluginRegistry, samples};

fn broken(dir: &Path, variant: &str) -> PathBuf {
    build::c_broken(dir, variant)
}

#[test]
fn broken_plugins_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let reason = |variant: &str| LoadedPlugin::load(&broken(dir.path(), variant)).unwrap_err();
    assert_eq!(reason("WRONG_ABI"), "wrong ABI version: the plugin has 2, this host speaks 1");
    assert_eq!(reason("NO_ENTRY"), "no entry point: the library does not export `cotton_plugin_entry`");
    assert!(reason("NULL").starts_with("the entry point returned NULL"), "{}", reason("NULL"));
    assert!(reason("GARBAGE").starts_with("DESCRIBE returned malformed JSON"), "{}", reason("GARBAGE"));
    assert!(reason("BAD_RENDER").contains("self-test failed"), "{}", reason("BAD_RENDER"));
    let not_a_library = dir.path().join("libnot_a_library.so");
    std::fs::write(&not_a_library, b"hello").unwrap();
    assert!(LoadedPlugin::load(&not_a_library).unwrap_err().starts_with("cannot open the library"));
}

#[test]
fn a_panic_is_caught_and_the_plugin_refused() {
    let lib = build::fixture_panicky(&tempfile::tempdir().unwrap().keep());
    let reason = LoadedPlugin::load(&lib).unwrap_err();
    assert!(reason.contains("panic") && reason.contains("fixture: render always panics"), "{reason}");

    // Called directly, the panic comes back as a status, and the plugin still answers.
    // SAFETY: the fixture follows the ABI; the library is never unloaded.
    unsafe {
        let lib: &'static libloading::Library = Box::leak(Box::new(libloading::Library::new(&lib).unwrap()));
        let entry = *lib.get::<CottonEntryFn>(ENTRY_SYMBOL).unwrap();
        let table = &*entry(COTTON_PLUGIN_ABI_VERSION);
        let (call, free_buf) = (table.call.unwrap(), table.free_buf.unwrap());
        let job = serde_json::to_vec(&samples::print_job()).unwrap();
        for _ in 0..3 {
            let mut out = CottonBuf::empty();
            assert_eq!(call(COTTON_OP_RENDER, job.as_ptr(), job.len(), &mut out), COTTON_STATUS_PANIC);
            let msg = String::from_utf8(std::slice::from_raw_parts(out.ptr, out.len).to_vec()).unwrap();
            assert!(msg.contains("fixture: render always panics (card TC2600000123452)"), "{msg}");
            free_buf(out);
            let mut out = CottonBuf::empty();
            assert_eq!(call(COTTON_OP_DESCRIBE, std::ptr::null(), 0, &mut out), COTTON_STATUS_OK);
            free_buf(out);
        }
        assert_eq!(call(COTTON_OP_DESCRIBE, std::ptr::null(), 0, std::ptr::null_mut()), COTTON_STATUS_INVALID_INPUT);
    }
}

#[test]
fn a_folder_with_broken_plugins_still_serves_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    for p in build::project_plugins() {
        std::fs::copy(p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    // A second ZPL driver, sorted after the first: a duplicate model.
    std::fs::copy(build::project_plugin("cotton-printer-zpl"), dir.path().join("zz_other_zpl.so")).unwrap();
    for v in ["WRONG_ABI", "NO_ENTRY", "GARBAGE"] {
        broken(dir.path(), v);
    }
    build::fixture_panicky(dir.path());
    build::c_example(dir.path());
    std::fs::write(dir.path().join("README.txt"), "not a library").unwrap();

    let reg = PluginRegistry::load_dir(dir.path());
    let mut loaded: Vec<(String, String)> = reg.list().iter().map(|p| (p.kind.as_str().to_string(), p.model.clone())).collect();
    loaded.sort();
    let want: Vec<(String, String)> = [
        ("COLLECTOR", "IV"),
        ("COLLECTOR", "V"),
        ("COLLECTOR", "VI"),
        ("PRINTER", "PDF"),
        ("PRINTER", "TEXT"),
        ("PRINTER", "TSPL"),
        ("PRINTER", "ZPL"),
    ]
    .iter()
    .map(|(k, m)| (k.to_string(), m.to_string()))
    .collect();
    assert_eq!(loaded, want);
    let refused: Vec<String> = reg.refused().iter().map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(refused.len(), 5, "{:?}", reg.refused());
    assert!(reg.refused().iter().any(|r| r.reason.starts_with("duplicate model: PRINTER plugin model `ZPL`")));
    // The good ones work.
    let job = samples::print_job();
    for m in ["PDF", "TEXT", "TSPL", "ZPL"] {
        assert!(!reg.require_printer(m).unwrap().render(&job).unwrap().bytes.is_empty());
    }
    for m in cotton_plugin_abi::wire::CollectorModel::ALL {
        let c = reg.require_collector(m).unwrap();
        let e = samples::export(m, 2);
        assert_eq!(c.decode_cards(&c.encode_cards(&e).unwrap()).unwrap(), e);
    }
    assert_eq!(reg.require_printer("PANICKY").unwrap_err().code(), "PLUGIN");
}
