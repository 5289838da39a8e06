//! `kill -9` mid-shift: the client is killed (SIGKILL) again and again at random
//! moments while a script feeds it, restarted, and fed again from the first line
//! it had not acknowledged (that line may or may not have been committed, so it
//! is re-run). At the end the line's cards, queue and bale ↔ card links equal an
//! uninterrupted run of the same script: nothing lost, nothing doubled.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use cotton_domain::processing::{CollectorModel, ProcessingEvent};

const LINE: &str = "L8";

fn cards() -> Vec<(u64, i64)> {
    (1..=12).map(|i| (i, 450 + 37 * i as i64)).collect()
}

/// About eighty lines: scans, a delay, bales with and without moisture, ends
/// by card number, a reprocess.
fn script() -> Vec<String> {
    let mut l = Vec::new();
    let mut bale = 0;
    for round in 0..6u64 {
        let (a, b) = (card_no(2 * round + 1), card_no(2 * round + 2));
        l.push(format!("{a} {b}"));
        if round == 0 {
            l.push(format!("delay {a} 1"));
        }
        for k in 0..8 {
            bale += 1;
            let moisture = if k % 3 == 0 { format!(" {}", 7 + k % 4) } else { String::new() };
            l.push(format!("bale K{bale:05} 2{}{}.5{moisture}", 2 + k % 3, k % 10));
        }
        if round % 2 == 1 {
            l.push(format!("end {b}"));
            l.push(card_no(2 * round + 3));
        }
        if round == 3 {
            l.push(format!("reprocess {} {VERIFIER} {VERIFIER_PW}", card_no(1)));
        }
    }
    l
}

/// A small deterministic generator (the seed is printed on failure).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn fresh_db(dir: &std::path::Path, name: &str, keys: &Keys) -> std::path::PathBuf {
    let file = export_file(dir, &export(CollectorModel::Iv, LINE, &cards()), keys);
    let db = dir.join(name);
    let o = import(&db, &file, LINE, keys);
    assert!(o.status.success(), "{}", stderr(&o));
    db
}

/// When a session is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    After(Duration),
    /// Once this many lines were acknowledged (at most a minute).
    AfterAcks(usize),
    Never,
}

/// Spawns `run`, writes `lines`, and either kills it (SIGKILL) or lets it
/// finish. Returns how many lines it acknowledged (a screen ends with READY).
fn session(db: &std::path::Path, lines: &[String], kill: Kill) -> usize {
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn run");
    let ready = Arc::new(AtomicUsize::new(0));
    let stdout = child.stdout.take().unwrap();
    let counter = ready.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line == READY {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    // The pipe takes the whole script at once; the client reads it line by line.
    let keep_open = !matches!(kill, Kill::Never);
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
        // Closing stdin (EOF) ends an uninterrupted run; a run to be killed
        // keeps waiting for more input.
        keep_open.then_some(stdin)
    });
    match kill {
        Kill::Never => {
            let status = child.wait().unwrap();
            assert!(status.success());
        }
        Kill::After(_) | Kill::AfterAcks(_) => {
            if let Kill::After(d) = kill {
                std::thread::sleep(d);
            }
            if let Kill::AfterAcks(n) = kill {
                let deadline = std::time::Instant::now() + Duration::from_secs(60);
                while ready.load(Ordering::SeqCst) < n + 1 && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            child.kill().expect("SIGKILL"); // std's Child::kill is SIGKILL on Unix
            let status = child.wait().unwrap();
            assert!(!status.success(), "killed, not ended");
        }
    }
    drop(writer.join());
    reader.join().unwrap();
    // The first screen is shown before any line is read.
    ready.load(Ordering::SeqCst).saturating_sub(1)
}

#[test]
fn killed_at_random_moments_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let script = script();

    let reference = fresh_db(dir.path(), "reference.db", &keys);
    let out = run_script(&reference, &script);
    assert_eq!(out.matches(READY).count(), 1 + script.len());
    let want = status(&reference);
    assert!(want["bales"].as_array().unwrap().len() == 48);

    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut rng = Lcg(seed);
    let db = fresh_db(dir.path(), "crashing.db", &keys);
    let mut next = 0;
    let mut kills = 0;
    let mut stuck = 0;
    while next < script.len() {
        // A slow line (the reprocess checks an Argon2id hash) gets more time
        // each time a kill found no line done.
        let kill = if kills < 16 { Kill::After(Duration::from_millis(5 + rng.next(50) + 60 * stuck)) } else { Kill::Never };
        let acked = session(&db, &script[next..], kill);
        stuck = if acked == 0 { stuck + 1 } else { 0 };
        eprintln!("session from line {next}: killed after {kill:?}, {acked} lines acknowledged");
        if !matches!(kill, Kill::Never) {
            kills += 1;
        }
        next += acked.min(script.len() - next);
    }
    assert!(kills >= 1, "seed {seed}");

    let got = status(&db);
    assert_eq!(links(&got), links(&want), "bale ↔ card links (seed {seed})");
    assert_eq!(got["cards"], want["cards"], "cards (seed {seed})");
    assert_eq!(got["queue"], want["queue"], "queue (seed {seed})");
    assert_eq!(got["tracing"], want["tracing"]);

    // The upload file: every bale exactly once, seqs strictly increasing.
    let out_file = dir.path().join("records.txt");
    let o = collector(&db, &["export-upload", "--out", out_file.to_str().unwrap(), "--device-key", &keys.line_private()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let upload = read_upload(CollectorModel::Iv, LINE, &std::fs::read(&out_file).unwrap(), &keys);
    assert!(upload.records.windows(2).all(|w| w[0].seq < w[1].seq));
    let mut barcodes: Vec<&str> = upload
        .records
        .iter()
        .filter_map(|r| match &r.event {
            ProcessingEvent::BalePressed { barcode, .. } => Some(barcode.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(barcodes.len(), 48, "seed {seed}");
    barcodes.sort();
    barcodes.dedup();
    assert_eq!(barcodes.len(), 48, "no bale twice (seed {seed})");
    let finished = |u: &cotton_domain::processing::RecordUpload| {
        u.records.iter().filter(|r| matches!(r.event, ProcessingEvent::CardFinished { .. } | ProcessingEvent::CardEnded { .. })).count()
    };
    let ref_file = dir.path().join("reference.txt");
    assert!(collector(&reference, &["export-upload", "--out", ref_file.to_str().unwrap(), "--device-key", &keys.line_private()]).status.success());
    let ref_upload = read_upload(CollectorModel::Iv, LINE, &std::fs::read(&ref_file).unwrap(), &keys);
    assert_eq!(finished(&upload), finished(&ref_upload), "each card finished or ended once (seed {seed})");
}

#[test]
fn re_running_the_last_line_after_a_kill_does_not_double_it() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let db = fresh_db(dir.path(), "c.db", &keys);
    let (c1, c2) = (card_no(1), card_no(2));
    let lines = vec![format!("{c1} {c2}"), format!("delay {c1} 1"), "bale R1 227".into(), "bale R2 227".into()];
    // Acknowledged, then killed: the lines are committed.
    assert_eq!(session(&db, &lines, Kill::AfterAcks(4)), 4);
    let before = status(&db);
    // The operator (or the script) is not sure the last lines went through and sends them again.
    let again = vec![
        format!("{c1} {c2}"),
        format!("delay {c1} 1"),
        "bale R2 227".into(),
        format!("end {c2}"),
        format!("end {c1}"),
        format!("end {c1}"),
    ];
    let out = run_script(&db, &again);
    assert!(out.contains("已在加工队列中"), "{out}");
    assert!(out.contains("棉包条码R2已经记录过"), "{out}");
    assert!(out.contains(&format!("当前正在加工的是追溯卡{c2}，不是{c1}，未结束")), "{out}");
    let after = status(&db);
    assert_eq!(links(&after), links(&before));
    assert_eq!(card(&after, &c1)["bales"], 1);
    assert_eq!(queue(&after), vec![c2.clone()], "only the first `end {c1}` ended it");
}
