//! The C example plugin builds with `cc` against the checked-in header and
//! passes the conformance kit; the header itself compiles as strict C11 and
//! documents every field of the print job; a plugin built before the jobs
//! carried the label lines still loads and prints; the kit's binary works on
//! its own, outside the workspace.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use cotton_plugin_conformance::{build, run};
use cotton_plugin_host::{LoadedPlugin, PluginRegistry, Printer, samples};

#[test]
fn c_example_builds_and_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let lib = build::c_example(dir.path());
    let r = run(&lib);
    assert!(r.passed(), "{}", r.render());
    let p = r.plugin.clone().unwrap();
    assert_eq!((p.name.as_str(), p.model.as_str(), p.version.as_str()), ("cotton-text-printer", "TEXT", "1.0.0"));
    // The label is the one the host sent: the title, then every line.
    let printer = Printer::new(Arc::new(LoadedPlugin::load(&lib).unwrap())).unwrap();
    let mut job = samples::print_job();
    job.copies = 2;
    let text = String::from_utf8(printer.render(&job).unwrap().bytes).unwrap();
    let mut one = format!("{}\n", job.title);
    for l in &job.lines {
        one.push_str(&format!("{}：{}\n", l.label, l.value));
    }
    one.push('\u{c}');
    assert_eq!(text, one.repeat(2));
    assert!(text.contains("打印时间：2026-10-02 16:00\n"), "{text}");
}

#[test]
fn a_plugin_built_before_the_label_lines_still_loads_and_prints() {
    // The C example of the day before, which reads only the card fields: the
    // host sends it the new fields too and it ignores them, in process and in
    // a driver-host child.
    let dir = tempfile::tempdir().unwrap();
    build::c_legacy_example(dir.path());
    let job = samples::print_job();
    let host = cotton_plugin_conformance::driver_host(env!("CARGO_BIN_EXE_cotton-plugin-conformance"), std::time::Duration::from_secs(20));
    for isolation in [cotton_plugin_host::Isolation::InProcess, host] {
        let reg = PluginRegistry::load_dir_with(dir.path(), &isolation);
        assert!(reg.refused().is_empty(), "{:?}", reg.refused());
        let out = reg.require_printer("LEGACY").unwrap().render(&job).unwrap();
        let text = String::from_utf8(out.bytes).unwrap();
        assert!(text.contains("追溯卡号：TC2600000123452") && text.contains("种植者：张三丰"), "{text}");
    }
}

#[test]
fn the_header_documents_every_print_job_field() {
    // Every key of the JSON the host sends, nested ones included, is in the
    // header's PrintJob documentation with its type.
    let header = std::fs::read_to_string(build::include_dir().join("cotton_plugin.h")).unwrap();
    let doc = &header[header.find("PrintJob fields").expect("the header documents the PrintJob fields")..];
    fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    keys(&serde_json::to_value(samples::print_job()).unwrap(), &mut all);
    assert!(all.contains(&"lintYieldPct".to_string()) && all.contains(&"value".to_string()));
    for k in all {
        assert!(doc.contains(&format!(" {k} ")), "the header does not document the PrintJob field `{k}`");
    }
}

/// Runs the kit's binary, copied alone into `dir`, from `dir` with an empty
/// environment: no cargo, no sources, no Rust.
fn standalone(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(dir.join("cotton-plugin-conformance")).args(args).current_dir(dir).env_clear().output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_kit_binary_runs_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cotton-plugin-conformance"), dir.path().join("cotton-plugin-conformance")).unwrap();
    build::c_example(dir.path());
    build::c_bad_printer(dir.path(), "CRASHES");

    let (code, help, _) = standalone(dir.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("USAGE:") && help.contains("--timeout") && help.contains("EXIT STATUS"), "{help}");

    // A bare file name in the current folder, as a vendor would type it.
    let (code, out, err) = standalone(dir.path(), &["libcotton_text_printer.so"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("plugin runs in a driver-host child process"), "{out}");
    assert_eq!(out.lines().last(), Some("16 passed, 0 failed, 1 skipped"), "{out}");

    let (code, out, _) = standalone(dir.path(), &["--timeout", "5", "libcotton_text_printer.so", "libbad_crashes.so"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL no call crashed or hung the plugin's process") && out.contains("SIGSEGV"), "{out}");

    for bad in [&[][..], &["--timeout"][..], &["--timeout", "0"][..], &["--frobnicate", "x.so"][..]] {
        let (code, _, err) = standalone(dir.path(), bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
    }
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
