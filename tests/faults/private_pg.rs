//! A private PostgreSQL cluster for one test (initdb into a temporary folder,
//! pg_ctl on a free port), so it can be stopped and started without touching
//! the shared server the other tests use. As root, the cluster runs as user
//! `postgres` (PostgreSQL refuses to run as root).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// `runuser -u postgres --` in front of every command (we are root).
    as_postgres: bool,
}

fn is_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// The folder of initdb / pg_ctl: `COTTON_PG_BIN`, else the newest of
/// `/usr/lib/postgresql/<version>/bin` (15 preferred), else `pg_config --bindir`.
fn find_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("COTTON_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let preferred = Path::new("/usr/lib/postgresql/15/bin");
    if preferred.join("initdb").exists() {
        return Some(preferred.to_path_buf());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    if let Some(b) = found.pop() {
        return Some(b);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    dir.join("initdb").exists().then_some(dir)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().unwrap().port()
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id").args([flag, user]).output().expect("run id");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| panic!("no user {user} to run PostgreSQL as"))
}

impl PrivatePg {
    /// initdb a new cluster (not started). `None` with a message when PostgreSQL's
    /// binaries are not installed; under `CI=true` that is a failure instead.
    pub fn init() -> Option<PrivatePg> {
        let Some(bin) = find_bin() else {
            let msg = "initdb not found (install postgresql-15, or set COTTON_PG_BIN)";
            if is_ci() {
                panic!("{msg} and CI=true: the PostgreSQL restart test cannot run");
            }
            eprintln!("skipping the PostgreSQL restart test: {msg}");
            return None;
        };
        let dir = tempfile::Builder::new().prefix("cotton-private-pg-").tempdir().expect("tempdir");
        let as_postgres = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        if as_postgres {
            std::os::unix::fs::chown(dir.path(), Some(id_of("postgres", "-u")), Some(id_of("postgres", "-g")))
                .expect("chown the cluster folder to postgres");
        }
        let pg = PrivatePg { dir, bin, port: free_port(), as_postgres };
        let data = pg.data();
        pg.run("initdb", &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap_or_else(|e| panic!("run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed ({}):\n{}\n{}\n--- log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Starts the cluster on its port (TCP on 127.0.0.1, socket in its folder)
    /// and waits until it accepts connections.
    pub fn start(&self) {
        let data = self.data();
        let log = self.dir.path().join("log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60",
            self.port,
            self.dir.path().display()
        );
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-t", "60", "-o", &opts, "start"]);
    }

    /// `pg_ctl stop -m immediate`: every backend is killed at once, like a crash
    /// (the next start runs crash recovery).
    pub fn stop_immediate(&self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.command("pg_ctl").args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]).output();
    }
}
