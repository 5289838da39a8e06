//! Processes and databases: fresh databases, `cotton-trace` servers, the
//! machine description, peak RSS.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub const JWT_SECRET: &str = "cotton-bench-shared-secret-0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// `postgres://user@host:port` (no database) from COTTON_BENCH_PG, default local trust.
pub fn pg_server() -> String {
    std::env::var("COTTON_BENCH_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn pg_url(db: &str) -> String {
    format!("{}/{db}", pg_server().trim_end_matches('/'))
}

/// (host, port, user) of the PostgreSQL server, for pgbench.
pub fn pg_parts() -> (String, String, String) {
    let s = pg_server();
    let rest = s.split("://").nth(1).unwrap_or("postgres@127.0.0.1:5432");
    let (user, hostport) = rest.split_once('@').unwrap_or(("postgres", rest));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (host.to_string(), port.trim_end_matches('/').to_string(), user.to_string())
}

/// Drops (with FORCE) and creates database `name`.
pub async fn recreate_pg_db(name: &str) -> Result<()> {
    let (client, conn) = tokio_postgres::connect(&pg_url("postgres"), tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connect to PostgreSQL at {}", pg_server()))?;
    let task = tokio::spawn(conn);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    client.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    drop(client);
    let _ = task.await;
    Ok(())
}

pub async fn pg_available() -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&pg_url("postgres"), tokio_postgres::NoTls)).await,
        Ok(Ok(_))
    )
}

/// The folder holding `cotton-trace` and the plugin libraries: the folder of this
/// executable (target/release for `cargo run --release`, target/debug otherwise).
pub fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("executable folder")?.to_path_buf();
    let server = dir.join("cotton-trace");
    if !server.exists() {
        bail!(
            "{} not found: build it first (`cargo build --release -j 2 -p cotton-trace` for the benchmark, \
             `cargo build -j 2 -p cotton-trace` for --smoke)",
            server.display()
        );
    }
    Ok(dir)
}

/// A database for one backend plus the environment every command gets.
pub struct BenchDb {
    pub url: String,
    pub dir: PathBuf,
}

impl BenchDb {
    pub fn command(&self, bin: &Path, plugins: &Path) -> Command {
        let mut cmd = Command::new(bin.join("cotton-trace"));
        cmd.env("DATABASE_URL", &self.url)
            .env("COTTON_DATA_DIR", &self.dir)
            .env("COTTON_JWT_SECRET", JWT_SECRET)
            .env("COTTON_ACCESS_TTL_SECS", "3600")
            .env("COTTON_PLUGINS_DIR", plugins)
            // The runner is the proxy in front of publish day's many growers: it
            // gives each its own address in X-Forwarded-For (limits per address).
            .env("COTTON_TRUSTED_PROXIES", "127.0.0.1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        cmd
    }
}

pub struct Server {
    pub base: String,
    pub port: u16,
    pub child: Child,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    pub async fn start(db: &BenchDb, bin: &Path, plugins: &Path, name: &str) -> Result<Server> {
        let port = free_port();
        let log = db.dir.join(format!("{name}.log"));
        let child = db
            .command(bin, plugins)
            .args(["serve", "--dev", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(File::create(&log)?)
            .stderr(File::create(db.dir.join(format!("{name}.err.log")))?)
            .spawn()
            .context("spawn cotton-trace serve")?;
        let mut srv = Server { base: format!("http://127.0.0.1:{port}"), port, child };
        let http = reqwest::Client::builder().no_proxy().build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(st)) = srv.child.try_wait() {
                bail!("{name} exited before becoming healthy ({st}); see {}", db.dir.join(format!("{name}.err.log")).display());
            }
            if let Ok(r) = http.get(format!("{}/healthz", srv.base)).timeout(Duration::from_secs(2)).send().await {
                if r.status().is_success() {
                    return Ok(srv);
                }
            }
            if Instant::now() > deadline {
                bail!("{name} not healthy within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn graphql(&self) -> String {
        format!("{}/graphql", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (VmHWM, VmRSS) of a process in MB.
pub fn rss_mb(pid: u32) -> Option<(f64, f64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU model, cores, RAM, kernel, git commit.
pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let ram_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string();
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let pg = Command::new("psql")
        .args(["--version"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    serde_json::json!({
        "cpu": cpu, "cores": cores, "ramGb": ram_gb, "kernel": kernel,
        "commit": commit, "dirty": dirty, "postgresClient": pg,
    })
}

/// Raises this process's open-files limit (RLIMIT_NOFILE) to its hard limit, or
/// to `want` if that is lower; the servers and tools it spawns inherit it. Returns
/// the soft limit in force afterwards.
pub fn raise_nofile(want: u64) -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        let target = if lim.rlim_max == libc::RLIM_INFINITY { want } else { want.min(lim.rlim_max as u64) };
        if (lim.rlim_cur as u64) < target {
            let new = libc::rlimit { rlim_cur: target as libc::rlim_t, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 {
                lim.rlim_cur = new.rlim_cur;
            }
        }
    }
    lim.rlim_cur as u64
}

/// Resets the peak RSS (VmHWM) of a process of ours to its current RSS
/// (`/proc/PID/clear_refs`, "5", Linux ≥ 4.0). False when the kernel refused.
pub fn reset_hwm(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}
