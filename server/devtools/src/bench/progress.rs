//! Per-phase counters: prints progress every few seconds and the phase's rate at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseFigure {
    pub name: String,
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_sec: f64,
}

pub struct Phase {
    name: &'static str,
    started: Instant,
    rows: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Phase {
    pub fn start(name: &'static str, planned: u64) -> Phase {
        println!("[{name}] start ({planned} planned)");
        let rows = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let (r, s) = (rows.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let n = r.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs_f64();
                println!("[{name}] {n}/{planned} rows, {:.0} rows/s", n as f64 / secs.max(1e-9));
            }
        });
        Phase { name, started, rows, stop }
    }

    pub fn add(&self, n: u64) {
        self.rows.fetch_add(n, Ordering::Relaxed);
    }

    pub fn finish(self) -> PhaseFigure {
        self.stop.store(true, Ordering::Relaxed);
        let rows = self.rows.load(Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64();
        let rows_per_sec = if seconds > 0.0 { rows as f64 / seconds } else { 0.0 };
        println!("[{}] done: {rows} rows in {seconds:.2} s, {rows_per_sec:.0} rows/s", self.name);
        PhaseFigure {
            name: self.name.to_string(),
            rows,
            seconds: (seconds * 1000.0).round() / 1000.0,
            rows_per_sec: rows_per_sec.round(),
        }
    }
}
