//! The driver host itself: the child process that loads one plugin library with
//! the ordinary loader ([`LoadedPlugin::load`], every check included) and runs
//! the parent's calls on it. A crash here costs the parent one call.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use super::protocol::*;
use crate::loader::LoadedPlugin;

/// Exit codes of the driver host.
pub const EXIT_OK: i32 = 0;
/// The parent broke the protocol (handshake refused, unexpected frame).
pub const EXIT_PROTOCOL: i32 = 2;
/// The parent went away while the host was busy.
pub const EXIT_ORPHANED: i32 = 3;

/// Serves one parent on `input` / `output`: HELLO both ways, one LOAD, then
/// CALLs until the input ends. Returns the exit code.
pub fn serve<R: Read, W: Write>(input: R, output: W) -> i32 {
    let mut input = input;
    let mut output = output;
    if write_frame(&mut output, &Hello::ours().frame()).is_err() {
        return EXIT_PROTOCOL;
    }
    let refuse = |output: &mut W, msg: String| {
        let _ = write_frame(output, &Frame::new(TAG_ERROR, msg.into_bytes()));
        EXIT_PROTOCOL
    };
    match read_frame(&mut input) {
        Ok(Some(f)) => {
            if let Err(reason) = Hello::check_peer(&f) {
                return refuse(&mut output, format!("driver host refuses the handshake: {reason}"));
            }
        }
        Ok(None) => return EXIT_OK,
        Err(e) => return refuse(&mut output, format!("driver host: unreadable handshake: {e}")),
    }
    let mut plugin: Option<LoadedPlugin> = None;
    loop {
        let frame = match read_frame(&mut input) {
            Ok(Some(f)) => f,
            Ok(None) => return EXIT_OK,
            Err(e) => return refuse(&mut output, format!("driver host: unreadable frame: {e}")),
        };
        let reply = match frame.tag {
            TAG_LOAD if plugin.is_none() => {
                let path = PathBuf::from(frame.text());
                match LoadedPlugin::load(&path) {
                    Ok(p) => {
                        let info = serde_json::to_vec(p.info()).expect("plugin info serialises");
                        plugin = Some(p);
                        Frame::new(TAG_LOADED, info)
                    }
                    Err(reason) => Frame::new(TAG_REFUSED, reason.into_bytes()),
                }
            }
            TAG_CALL => {
                let Some(p) = &plugin else {
                    return refuse(&mut output, "driver host: CALL before a library was loaded".into());
                };
                let (op, input) = match frame.split_u32() {
                    Ok(parts) => parts,
                    Err(e) => return refuse(&mut output, format!("driver host: {e}")),
                };
                match p.call(u32::from_le_bytes(op), input) {
                    Ok(out) => Frame::result(cotton_plugin_abi::ffi::COTTON_STATUS_OK, &out),
                    Err(f) => Frame::result(f.status, f.message.as_bytes()),
                }
            }
            other => {
                return refuse(&mut output, format!("driver host: unexpected {} frame", tag_name(other)));
            }
        };
        if write_frame(&mut output, &reply).is_err() {
            return EXIT_OK; // the parent is gone
        }
    }
}

/// `cotton-trace driver-host`: serves the parent on stdin / stdout. Frames go
/// to a private duplicate of stdout; file descriptor 1 itself is pointed at
/// stderr, so a plugin that prints cannot corrupt the protocol. A watchdog
/// ends the process when the parent has gone (even in the middle of a call
/// that never returns). Returns the exit code.
pub fn child_main() -> i32 {
    let output = protocol_output();
    watch_parent();
    let stdin = std::io::stdin();
    serve(BufReader::with_capacity(1 << 16, stdin.lock()), BufWriter::with_capacity(1 << 16, output))
}

#[cfg(unix)]
fn protocol_output() -> Box<dyn Write> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain descriptor calls on 1 and 2, which the process owns.
    unsafe {
        let fd = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return Box::new(std::io::stdout());
        }
        libc::dup2(2, 1);
        Box::new(std::fs::File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn protocol_output() -> Box<dyn Write> {
    Box::new(std::io::stdout())
}

#[cfg(unix)]
fn watch_parent() {
    let parent = std::os::unix::process::parent_id();
    let _ = std::thread::Builder::new().name("driver-host-watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_millis(500));
            if std::os::unix::process::parent_id() != parent {
                // SAFETY: ends the process without running atexit handlers
                // that could race a plugin call still running.
                unsafe { libc::_exit(EXIT_ORPHANED) };
            }
        }
    });
}

#[cfg(not(unix))]
fn watch_parent() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frames(bytes: &[u8]) -> Vec<Frame> {
        let mut r = Cursor::new(bytes);
        let mut out = Vec::new();
        while let Some(f) = read_frame(&mut r).unwrap() {
            out.push(f);
        }
        out
    }

    fn run(input: &[Frame]) -> (i32, Vec<Frame>) {
        let mut bytes = Vec::new();
        for f in input {
            write_frame(&mut bytes, f).unwrap();
        }
        let mut out = Vec::new();
        let code = serve(Cursor::new(bytes), &mut out);
        (code, frames(&out))
    }

    #[test]
    fn child_says_hello_first_and_refuses_another_version() {
        let parent = Hello { version: PROTOCOL_VERSION + 1, ..Hello::ours() };
        let (code, out) = run(&[parent.frame(), Frame::new(TAG_LOAD, b"/nonexistent.so".to_vec())]);
        assert_eq!(code, EXIT_PROTOCOL);
        assert_eq!(out.len(), 2, "HELLO then ERROR, and nothing loaded: {out:?}");
        assert_eq!(Hello::check_peer(&out[0]).unwrap().version, PROTOCOL_VERSION);
        assert_eq!(out[1].tag, TAG_ERROR);
        assert!(out[1].text().contains("version mismatch"), "{}", out[1].text());
    }

    #[test]
    fn child_refuses_a_call_before_a_load_and_unknown_frames() {
        let (code, out) = run(&[Hello::ours().frame(), Frame::call(100, b"{}")]);
        assert_eq!(code, EXIT_PROTOCOL);
        assert_eq!(out.last().unwrap().tag, TAG_ERROR);
        let (code, out) = run(&[Hello::ours().frame(), Frame::new(TAG_RESULT, vec![0; 4])]);
        assert_eq!(code, EXIT_PROTOCOL);
        assert!(out.last().unwrap().text().contains("unexpected RESULT"));
    }

    #[test]
    fn child_reports_a_library_it_cannot_load_and_ends_with_its_input() {
        let (code, out) = run(&[Hello::ours().frame(), Frame::new(TAG_LOAD, b"/nonexistent/libnothing.so".to_vec())]);
        assert_eq!(code, EXIT_OK, "end of input is a clean exit");
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].tag, TAG_REFUSED);
        assert!(out[1].text().contains("cannot open the library"), "{}", out[1].text());
    }

    #[test]
    fn child_exits_cleanly_when_the_parent_sends_nothing() {
        let (code, out) = run(&[]);
        assert_eq!(code, EXIT_OK);
        assert_eq!(out.len(), 1, "only its HELLO");
    }
}
