//! `cotton-plugin-conformance [OPTIONS] LIB...`: runs the conformance kit
//! against each plugin library and exits non-zero when any check fails. A
//! standalone executable: it needs neither Rust nor the Cotton Trace sources.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cotton_plugin_conformance as kit;

const USAGE: &str = "\
cotton-plugin-conformance — the Cotton Trace driver-plugin conformance kit

USAGE:
    cotton-plugin-conformance [OPTIONS] PLUGIN.so [MORE.so ...]

Loads each plugin library exactly as the Cotton Trace server does (ABI version
handshake, table checks, DESCRIBE, the load-time self-test on the sample job),
in a driver-host child process of its own like the server's, then runs every
check for the plugin's kind (printer or collector) on sample data built by the
server's own code. A plugin that crashes or hangs fails the check it was in,
and the kit goes on. Prints one PASS / FAIL / SKIP line per check and a closing
`N passed, N failed` line per library.

OPTIONS:
    --timeout SECS   deadline of one plugin call, and of starting the child and
                     loading the library (default 10; decimals allowed); a call
                     over it counts as a hang
    --in-process     load the plugin into the kit's own process instead (to run
                     the kit under a debugger: a crash then ends the kit)
    -h, --help       this text

EXIT STATUS:
    0  every check of every library passed
    1  a check failed (or a library was refused)
    2  bad arguments

Writing a plugin: plugins/README.md of the Cotton Trace sources, the header
cotton_plugin.h and the C example text_printer.c shipped with this kit.
";

fn fail(msg: &str) -> ! {
    eprintln!("cotton-plugin-conformance: {msg}\n(see cotton-plugin-conformance --help)");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The driver host: how the kit runs the plugin under test in a child.
    if args.first().map(String::as_str) == Some(kit::DRIVER_HOST_ARG) {
        std::process::exit(cotton_plugin_host::driver_host::child_main());
    }
    let mut timeout = kit::DEFAULT_TIMEOUT;
    let mut in_process = false;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return;
            }
            "--in-process" => in_process = true,
            "--timeout" => {
                let v = it.next().unwrap_or_else(|| fail("--timeout needs a number of seconds"));
                timeout = match v.parse::<f64>() {
                    Ok(s) if (0.1..=3600.0).contains(&s) => Duration::from_secs_f64(s),
                    _ => fail(&format!("--timeout {v}: give 0.1 to 3600 seconds")),
                };
            }
            s if s.starts_with('-') => fail(&format!("unknown option {s}")),
            s => paths.push(PathBuf::from(s)),
        }
    }
    if paths.is_empty() {
        fail("give the plugin libraries to check");
    }
    let isolation = if in_process {
        cotton_plugin_host::Isolation::InProcess
    } else {
        // This very executable, even if the file was replaced since it started.
        let me = Path::new("/proc/self/exe");
        let program = if me.exists() { me.to_path_buf() } else { std::env::current_exe().unwrap_or_else(|e| fail(&format!("{e}"))) };
        kit::driver_host(program, timeout)
    };
    let mut ok = true;
    for p in &paths {
        let report = kit::run_with(p, &isolation);
        print!("{}", report.render());
        ok &= report.passed();
    }
    std::process::exit(if ok { 0 } else { 1 });
}
