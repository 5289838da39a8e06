//! The server's side: one driver-host child per plugin library, every call
//! proxied to it with a deadline. A child that dies (segfault, abort, exit) or
//! misses the deadline (killed) fails that one call; the next call spawns a
//! fresh child, which loads and checks the library again.

use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cotton_plugin_abi::ffi::{COTTON_STATUS_INTERNAL, COTTON_STATUS_OK, op_name};
use cotton_plugin_abi::wire::PluginKind;

use super::ProcessConfig;
use super::protocol::*;
use crate::loader::{CallFailure, PluginInfo};

/// Why a request got no answer.
enum Lost {
    /// The child ended (crash or exit) before answering.
    Died(String),
    /// The deadline passed; the child was killed.
    TimedOut(Duration),
    /// The child answered something the protocol does not allow.
    Protocol(String),
}

impl Lost {
    fn describe(&self) -> String {
        match self {
            Lost::Died(how) => format!("驱动插件进程崩溃（{how}），本次调用未完成；下次调用将自动重启插件进程"),
            Lost::TimedOut(t) => format!("驱动插件调用超时（{}秒未返回），已终止插件进程；下次调用将自动重启", t.as_secs_f64()),
            Lost::Protocol(m) => format!("驱动插件进程通信出错（{m}），已终止插件进程"),
        }
    }
}

/// How a child ended, for the operator.
fn exit_text(status: Option<ExitStatus>) -> String {
    let Some(status) = status else { return "进程已退出".into() };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => "SIGILL",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                15 => "SIGTERM",
                _ => "signal",
            };
            return format!("进程被信号{sig}（{name}）终止");
        }
    }
    match status.code() {
        Some(code) => format!("进程退出，退出码{code}"),
        None => "进程已退出".into(),
    }
}

/// One running child.
struct Conn {
    child: Child,
    to_child: Sender<Frame>,
    from_child: Receiver<io::Result<Option<Frame>>>,
}

impl Conn {
    /// Spawns the driver host and completes the handshake.
    fn spawn(config: &ProcessConfig) -> Result<Conn, String> {
        let mut cmd = Command::new(&config.program);
        cmd.args(&config.args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        for k in &config.env_remove {
            cmd.env_remove(k);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the driver host `{}`: {e}", config.program.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (to_child, requests) = mpsc::channel::<Frame>();
        let (answers, from_child) = mpsc::channel();
        // The writer: a child stuck in a call may stop reading; only this
        // thread then blocks, until the child is killed.
        std::thread::Builder::new()
            .name("driver-host-writer".into())
            .spawn(move || {
                let mut w = BufWriter::with_capacity(1 << 16, stdin);
                for frame in requests {
                    if write_frame(&mut w, &frame).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| format!("cannot start a driver-host thread: {e}"))?;
        std::thread::Builder::new()
            .name("driver-host-reader".into())
            .spawn(move || {
                let mut r = BufReader::with_capacity(1 << 16, stdout);
                loop {
                    let frame = read_frame(&mut r);
                    let end = !matches!(frame, Ok(Some(_)));
                    if answers.send(frame).is_err() || end {
                        break;
                    }
                }
            })
            .map_err(|e| format!("cannot start a driver-host thread: {e}"))?;
        let mut conn = Conn { child, to_child, from_child };
        let hello = conn
            .request(Hello::ours().frame(), config.timeout)
            .map_err(|lost| format!("the driver host did not complete the handshake: {}", lost_reason(&lost)))?;
        if let Err(reason) = Hello::check_peer(&hello) {
            conn.kill();
            return Err(format!("driver-host handshake refused: {reason}"));
        }
        Ok(conn)
    }

    /// Sends `frame` and waits for the next frame from the child. Both sides
    /// send HELLO unprompted, so the HELLO "request" gets the child's HELLO.
    fn request(&mut self, frame: Frame, timeout: Duration) -> Result<Frame, Lost> {
        let deadline = Instant::now() + timeout;
        // A send error means the writer is gone: the child died; the reader
        // tells how below.
        let _ = self.to_child.send(frame);
        match self.from_child.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(Some(f))) if f.tag == TAG_ERROR => {
                let msg = f.text();
                self.kill();
                Err(Lost::Protocol(msg))
            }
            Ok(Ok(Some(f))) => Ok(f),
            Ok(Ok(None)) | Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(Lost::Died(self.reap())),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(Lost::TimedOut(timeout))
            }
        }
    }

    /// The child's output ended: waits briefly for it to exit (it normally
    /// has), then kills it; returns how it ended.
    fn reap(&mut self) -> String {
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return exit_text(Some(status));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        exit_text(self.child.wait().ok())
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.kill();
    }
}

fn lost_reason(lost: &Lost) -> String {
    match lost {
        Lost::Died(how) => format!("it ended ({how})"),
        Lost::TimedOut(t) => format!("no answer within {} s", t.as_secs_f64()),
        Lost::Protocol(m) => m.clone(),
    }
}

/// Spawns a child and has it load `path`. The error is the one-line reason.
fn start(config: &ProcessConfig, path: &Path) -> Result<(Conn, PluginInfo), String> {
    let mut conn = Conn::spawn(config)?;
    let path_text = path.to_str().ok_or_else(|| format!("the path {} is not UTF-8", path.display()))?;
    match conn.request(Frame::new(TAG_LOAD, path_text.as_bytes().to_vec()), config.timeout) {
        Ok(f) if f.tag == TAG_LOADED => {
            let info: PluginInfo =
                serde_json::from_slice(&f.body).map_err(|e| format!("the driver host answered a malformed LOADED: {e}"))?;
            Ok((conn, info))
        }
        Ok(f) if f.tag == TAG_REFUSED => Err(f.text()),
        Ok(f) => Err(format!("the driver host answered LOAD with {}", tag_name(f.tag))),
        Err(lost) => Err(format!("the driver host failed while loading the library: {}", lost_reason(&lost))),
    }
}

/// A plugin served by driver-host children.
pub(crate) struct RemotePlugin {
    path: PathBuf,
    config: Arc<ProcessConfig>,
    info: PluginInfo,
    /// The running child, if any; the lock also serialises calls.
    conn: Mutex<Option<Conn>>,
    /// Calls that lost their child (crash, deadline, protocol breach), and the
    /// message of the last one.
    losses: Mutex<(u64, Option<String>)>,
}

impl RemotePlugin {
    /// Loads `path` in a fresh child (every load-time check runs there).
    pub(crate) fn load(path: &Path, config: Arc<ProcessConfig>) -> Result<(PluginInfo, RemotePlugin), String> {
        let (conn, info) = start(&config, path)?;
        let remote = RemotePlugin { path: path.to_path_buf(), config, info: info.clone(), conn: Mutex::new(Some(conn)), losses: Mutex::new((0, None)) };
        Ok((info, remote))
    }

    /// How many calls lost their child so far, and the last one's message.
    pub(crate) fn losses(&self) -> (u64, Option<String>) {
        self.losses.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The pid of the running child, if one runs.
    pub(crate) fn child_pid(&self) -> Option<u32> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(Conn::pid)
    }

    fn failure(message: String) -> CallFailure {
        CallFailure { status: COTTON_STATUS_INTERNAL, message }
    }

    /// Runs one operation in the child, spawning one first when none runs.
    pub(crate) fn call(&self, op: u32, input: &[u8]) -> Result<Vec<u8>, CallFailure> {
        let mut slot = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let (conn, info) = start(&self.config, &self.path).map_err(|reason| {
                tracing::error!(plugin = %self.info.name, path = %self.path.display(), %reason, "driver host could not be restarted");
                Self::failure(format!("驱动插件进程重启失败：{reason}"))
            })?;
            fn same(a: &PluginInfo) -> (PluginKind, &str, &str, &str) {
                (a.kind, &a.name, &a.model, &a.version)
            }
            if same(&info) != same(&self.info) {
                return Err(Self::failure(format!(
                    "插件文件已被替换（现为{} {} {}），请重启服务器以加载新插件",
                    info.name, info.model, info.version
                )));
            }
            tracing::info!(plugin = %self.info.name, pid = conn.pid(), "driver host restarted");
            *slot = Some(conn);
        }
        let conn = slot.as_mut().expect("just ensured");
        let pid = conn.pid();
        let lost = match conn.request(Frame::call(op, input), self.config.timeout) {
            Ok(f) if f.tag == TAG_RESULT => match f.split_u32() {
                Ok((status, out)) => {
                    let status = i32::from_le_bytes(status);
                    return if status == COTTON_STATUS_OK {
                        Ok(out.to_vec())
                    } else {
                        Err(CallFailure { status, message: String::from_utf8_lossy(out).into_owned() })
                    };
                }
                Err(e) => Lost::Protocol(e.to_string()),
            },
            Ok(f) => Lost::Protocol(format!("unexpected {} frame", tag_name(f.tag))),
            Err(lost) => lost,
        };
        // The child is dead or untrustworthy: drop (kill) it; the next call
        // starts a fresh one.
        *slot = None;
        tracing::error!(
            plugin = %self.info.name, pid, op = op_name(op), reason = %lost_reason(&lost),
            "driver host lost during a plugin call; the call fails and the next one restarts the host"
        );
        let message = lost.describe();
        let mut losses = self.losses.lock().unwrap_or_else(|e| e.into_inner());
        losses.0 += 1;
        losses.1 = Some(message.clone());
        Err(Self::failure(message))
    }
}

#[cfg(all(test, unix))]
mod tests {
    //! The parent against stand-in children (`sh`): a peer of another protocol
    //! version, a child that exits at once, one that never answers.

    use super::*;

    fn sh(script: &str, timeout: Duration) -> Arc<ProcessConfig> {
        let mut c = ProcessConfig::new("/bin/sh", &["-c", script]);
        c.timeout = timeout;
        Arc::new(c)
    }

    fn load(config: Arc<ProcessConfig>) -> String {
        match RemotePlugin::load(Path::new("/nonexistent/libx.so"), config) {
            Ok(_) => panic!("a stand-in child cannot load a plugin"),
            Err(reason) => reason,
        }
    }

    /// A file holding the frames a stand-in child prints.
    fn frames_file(name: &str, frames: &[Frame]) -> PathBuf {
        let mut bytes = Vec::new();
        for f in frames {
            write_frame(&mut bytes, f).unwrap();
        }
        let path = std::env::temp_dir().join(format!("cotton-driver-host-test-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn parent_refuses_a_child_of_another_protocol_version() {
        let newer = Hello { version: PROTOCOL_VERSION + 1, ..Hello::ours() };
        let file = frames_file("newer", &[newer.frame()]);
        let reason = load(sh(&format!("cat '{}'; cat >/dev/null", file.display()), Duration::from_secs(10)));
        let _ = std::fs::remove_file(&file);
        assert!(reason.contains("handshake refused") && reason.contains("version mismatch"), "{reason}");
    }

    #[test]
    fn parent_reports_a_child_that_ends_at_once() {
        let reason = load(sh("exit 7", Duration::from_secs(10)));
        assert!(reason.contains("did not complete the handshake") && reason.contains("退出码7"), "{reason}");
    }

    #[test]
    fn parent_reports_a_child_that_dies_by_a_signal_while_loading() {
        let file = frames_file("segv", &[Hello::ours().frame()]);
        // HELLO, then killed by SIGSEGV as the parent's frames arrive, as a
        // library crashing at load would be.
        let script = format!("cat '{}'; head -c 1 >/dev/null; kill -SEGV $$", file.display());
        let reason = load(sh(&script, Duration::from_secs(10)));
        let _ = std::fs::remove_file(&file);
        assert!(reason.contains("while loading") && reason.contains("SIGSEGV"), "{reason}");
    }

    #[test]
    fn parent_kills_a_child_that_never_answers() {
        let reason = load(sh("sleep 30", Duration::from_millis(300)));
        assert!(reason.contains("no answer within 0.3 s"), "{reason}");
    }

    #[test]
    fn exit_texts_name_the_signal() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_text(Some(ExitStatus::from_raw(11))), "进程被信号11（SIGSEGV）终止");
        assert_eq!(exit_text(Some(ExitStatus::from_raw(6))), "进程被信号6（SIGABRT）终止");
        assert_eq!(exit_text(Some(ExitStatus::from_raw(3 << 8))), "进程退出，退出码3");
    }
}
