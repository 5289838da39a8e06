//! The cost of running a printer plugin in a driver-host child process instead
//! of in process: renders N labels (the sample print job) both ways and prints
//! the per-call latency, plus the cost of starting a child (spawn, handshake,
//! load with the load-time checks).
//!
//! ```sh
//! cargo build -j 2 -p cotton-printer-pdf -p cotton-printer-zpl
//! cargo run -j 2 -p cotton-plugin-host --example isolation_bench -- \
//!     target/debug/libcotton_printer_pdf.so target/debug/libcotton_printer_zpl.so
//! ```
//!
//! `COTTON_BENCH_CALLS` sets N (default 1000). The example is its own child:
//! run as `isolation_bench driver-host` it serves the protocol.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cotton_plugin_host::abi::ffi::COTTON_OP_DESCRIBE;
use cotton_plugin_host::abi::wire::PluginKind;
use cotton_plugin_host::{LoadedPlugin, Printer, ProcessConfig, samples};

fn main() {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|a| a == "driver-host") {
        std::process::exit(cotton_plugin_host::driver_host::child_main());
    }
    let libs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if libs.is_empty() {
        eprintln!("usage: isolation_bench LIBRARY.so [LIBRARY.so …]  (printer plugins)");
        std::process::exit(2);
    }
    let n: usize = std::env::var("COTTON_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let config = Arc::new(ProcessConfig::new(std::env::current_exe().expect("current exe"), &["driver-host"]));
    let job = samples::print_job();
    println!("isolation_bench: {n} renders of the sample label per plugin and mode");
    for lib in &libs {
        let t = Instant::now();
        let local = Arc::new(LoadedPlugin::load(lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display())));
        let load_local = t.elapsed();
        assert_eq!(local.info().kind, PluginKind::Printer, "{} is not a printer", lib.display());
        let t = Instant::now();
        let remote = Arc::new(LoadedPlugin::load_isolated(lib, config.clone()).unwrap_or_else(|e| panic!("{e}")));
        let load_remote = t.elapsed();
        let model = local.info().model.clone();
        let local = Printer::new(local).expect("printer");
        let remote = Printer::new(remote).expect("printer");
        let size = local.render(&job).expect("render").bytes.len();
        assert_eq!(remote.render(&job).expect("render").bytes, local.render(&job).expect("render").bytes, "same label both ways");
        let (a, b) = time_both(
            n,
            || {
                local.render(&job).expect("render in process");
            },
            || {
                remote.render(&job).expect("render in the child");
            },
        );
        println!(
            "{model:>5} ({size} bytes/label): in-process {} | child process {} | overhead: mean {:+.1} µs/call, p50 {:+.1} µs/call",
            a.line(),
            b.line(),
            b.mean_us() - a.mean_us(),
            b.pct(0.5) - a.pct(0.5),
        );
        // The protocol's own cost: DESCRIBE does next to nothing in the plugin.
        let (a, b) = time_both(
            n,
            || {
                local.plugin().call(COTTON_OP_DESCRIBE, &[]).expect("describe in process");
            },
            || {
                remote.plugin().call(COTTON_OP_DESCRIBE, &[]).expect("describe in the child");
            },
        );
        println!(
            "{model:>5} DESCRIBE (round trip only): in-process {} | child process {} | overhead p50 {:+.1} µs/call",
            a.line(),
            b.line(),
            b.pct(0.5) - a.pct(0.5),
        );
        println!(
            "{model:>5} load: in-process {:.1} ms, child process (spawn + handshake + checks) {:.1} ms",
            ms(load_local),
            ms(load_remote)
        );
    }
}

struct Timing {
    calls: usize,
    total: Duration,
    sorted: Vec<Duration>,
}

impl Timing {
    fn mean_us(&self) -> f64 {
        self.total.as_secs_f64() * 1e6 / self.calls as f64
    }
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.sorted.len() as f64 - 1.0) * p).round() as usize;
        self.sorted[i].as_secs_f64() * 1e6
    }
    fn line(&self) -> String {
        format!(
            "{:.1} µs/call (p50 {:.1}, p99 {:.1}; {:.0} calls/s)",
            self.mean_us(),
            self.pct(0.5),
            self.pct(0.99),
            self.calls as f64 / self.total.as_secs_f64()
        )
    }
}

/// Times `n` calls of each, in alternating blocks of 50, so a change in the
/// machine's load affects both alike.
fn time_both(n: usize, mut f: impl FnMut(), mut g: impl FnMut()) -> (Timing, Timing) {
    f(); // warm up
    g();
    let mut each = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut total = (Duration::ZERO, Duration::ZERO);
    let mut done = 0;
    while done < n {
        let block = 50.min(n - done);
        for (h, times, sum) in [(&mut f as &mut dyn FnMut(), &mut each.0, &mut total.0), (&mut g, &mut each.1, &mut total.1)] {
            for _ in 0..block {
                let t = Instant::now();
                h();
                let d = t.elapsed();
                times.push(d);
                *sum += d;
            }
        }
        done += block;
    }
    each.0.sort();
    each.1.sort();
    (Timing { calls: n, total: total.0, sorted: each.0 }, Timing { calls: n, total: total.1, sorted: each.1 })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
