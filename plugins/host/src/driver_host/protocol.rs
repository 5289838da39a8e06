//! The driver-host wire protocol: length-prefixed frames over the child's
//! stdin / stdout, a version handshake first.
//!
//! ```text
//! frame   = length:u32 LE (of tag + body, 1 ..= MAX_FRAME) · tag:u8 · body
//! HELLO   1  JSON {"protocol":"cotton-driver-host","version":1,"abiVersion":1,"pid":…}
//! LOAD    2  the library path (UTF-8)                          parent → child
//! LOADED  3  JSON PluginInfo                                   child → parent
//! REFUSED 4  the one-line reason the library was refused       child → parent
//! CALL    5  op:u32 LE · input bytes                           parent → child
//! RESULT  6  status:i32 LE · output bytes (or the message)     child → parent
//! ERROR   7  a UTF-8 message; the sender then exits           either way
//! ```
//!
//! Both sides send HELLO as their first frame without waiting for the other
//! (nushell-style) and check the other's: a different protocol name or version
//! is refused with ERROR (child) or an error (parent), so an old server never
//! drives a newer child or the reverse. After the handshake the parent sends
//! one LOAD, then CALLs, one at a time, each answered by one RESULT.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

/// The protocol's name in HELLO.
pub const PROTOCOL_NAME: &str = "cotton-driver-host";
/// The protocol version this build speaks. Bump on any change to the frames.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame (tag + body): the host's output limit plus room for headers.
pub const MAX_FRAME: usize = crate::loader::MAX_OUTPUT_BYTES + (1 << 16);

pub const TAG_HELLO: u8 = 1;
pub const TAG_LOAD: u8 = 2;
pub const TAG_LOADED: u8 = 3;
pub const TAG_REFUSED: u8 = 4;
pub const TAG_CALL: u8 = 5;
pub const TAG_RESULT: u8 = 6;
pub const TAG_ERROR: u8 = 7;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub tag: u8,
    pub body: Vec<u8>,
}

impl Frame {
    pub fn new(tag: u8, body: Vec<u8>) -> Frame {
        Frame { tag, body }
    }

    /// A CALL frame.
    pub fn call(op: u32, input: &[u8]) -> Frame {
        let mut body = Vec::with_capacity(4 + input.len());
        body.extend_from_slice(&op.to_le_bytes());
        body.extend_from_slice(input);
        Frame::new(TAG_CALL, body)
    }

    /// A RESULT frame.
    pub fn result(status: i32, output: &[u8]) -> Frame {
        let mut body = Vec::with_capacity(4 + output.len());
        body.extend_from_slice(&status.to_le_bytes());
        body.extend_from_slice(output);
        Frame::new(TAG_RESULT, body)
    }

    /// Splits a CALL or RESULT body into its 4-byte head and the rest.
    pub fn split_u32(&self) -> io::Result<([u8; 4], &[u8])> {
        if self.body.len() < 4 {
            return Err(invalid(format!("frame {} is shorter than its 4-byte header", tag_name(self.tag))));
        }
        let (head, rest) = self.body.split_at(4);
        Ok((head.try_into().expect("4 bytes"), rest))
    }

    /// The body as text (lossy), for REFUSED and ERROR.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn tag_name(tag: u8) -> &'static str {
    match tag {
        TAG_HELLO => "HELLO",
        TAG_LOAD => "LOAD",
        TAG_LOADED => "LOADED",
        TAG_REFUSED => "REFUSED",
        TAG_CALL => "CALL",
        TAG_RESULT => "RESULT",
        TAG_ERROR => "ERROR",
        _ => "UNKNOWN",
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Writes one frame and flushes.
pub fn write_frame<W: Write>(w: &mut W, frame: &Frame) -> io::Result<()> {
    let len = 1 + frame.body.len();
    if len > MAX_FRAME {
        return Err(invalid(format!("frame of {len} bytes exceeds the limit of {MAX_FRAME}")));
    }
    w.write_all(&(len as u32).to_le_bytes())?;
    w.write_all(&[frame.tag])?;
    w.write_all(&frame.body)?;
    w.flush()
}

/// Reads one frame. `Ok(None)` on a clean end of stream before a frame starts;
/// an error on a truncated frame, an empty frame or one over [`MAX_FRAME`]
/// (refused before anything is allocated).
pub fn read_frame<R: Read>(r: &mut R) -> io::Result<Option<Frame>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended inside a frame header")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(invalid(format!("frame length {len} is outside 1..={MAX_FRAME}")));
    }
    let mut tag = [0u8; 1];
    r.read_exact(&mut tag)?;
    let mut body = vec![0u8; len - 1];
    r.read_exact(&mut body)?;
    Ok(Some(Frame { tag: tag[0], body }))
}

/// The HELLO message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello {
    pub protocol: String,
    pub version: u32,
    /// The plugin C-ABI version the sender's loader speaks.
    pub abi_version: u32,
    pub pid: u32,
}

impl Hello {
    /// This build's HELLO.
    pub fn ours() -> Hello {
        Hello {
            protocol: PROTOCOL_NAME.into(),
            version: PROTOCOL_VERSION,
            abi_version: cotton_plugin_abi::ffi::COTTON_PLUGIN_ABI_VERSION,
            pid: std::process::id(),
        }
    }

    pub fn frame(&self) -> Frame {
        Frame::new(TAG_HELLO, serde_json::to_vec(self).expect("hello serialises"))
    }

    /// Checks the peer's first frame: a HELLO of our protocol, version and ABI.
    /// The error is the reason, for the log and the ERROR frame.
    pub fn check_peer(frame: &Frame) -> Result<Hello, String> {
        if frame.tag == TAG_ERROR {
            return Err(format!("the peer refused the handshake: {}", frame.text()));
        }
        if frame.tag != TAG_HELLO {
            return Err(format!("expected HELLO first, got {}", tag_name(frame.tag)));
        }
        let peer: Hello = serde_json::from_slice(&frame.body).map_err(|e| format!("malformed HELLO: {e}"))?;
        let ours = Hello::ours();
        if peer.protocol != ours.protocol {
            return Err(format!("protocol `{}` is not `{}`", peer.protocol, ours.protocol));
        }
        if peer.version != ours.version || peer.abi_version != ours.abi_version {
            return Err(format!(
                "version mismatch: the peer speaks driver-host protocol {} (plugin ABI {}), this side {} (ABI {})",
                peer.version, peer.abi_version, ours.version, ours.abi_version
            ));
        }
        Ok(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn encode(frames: &[Frame]) -> Vec<u8> {
        let mut out = Vec::new();
        for f in frames {
            write_frame(&mut out, f).unwrap();
        }
        out
    }

    #[test]
    fn frames_round_trip_in_order() {
        let frames = vec![
            Hello::ours().frame(),
            Frame::new(TAG_LOAD, b"/srv/plugins/libx.so".to_vec()),
            Frame::call(100, br#"{"copies":1}"#),
            Frame::call(1, &[]),
            Frame::result(3, "插件出错".as_bytes()),
            Frame::new(TAG_RESULT, vec![0; 200_000]),
        ];
        let bytes = encode(&frames);
        let mut r = Cursor::new(bytes);
        for f in &frames {
            assert_eq!(read_frame(&mut r).unwrap().as_ref(), Some(f));
        }
        assert_eq!(read_frame(&mut r).unwrap(), None, "clean end of stream");
    }

    #[test]
    fn call_and_result_heads() {
        let f = Frame::call(202, b"xyz");
        let (op, rest) = f.split_u32().unwrap();
        assert_eq!((u32::from_le_bytes(op), rest), (202, &b"xyz"[..]));
        let f = Frame::result(-7, b"");
        let (st, rest) = f.split_u32().unwrap();
        assert_eq!((i32::from_le_bytes(st), rest), (-7, &b""[..]));
        assert!(Frame::new(TAG_RESULT, vec![1, 2]).split_u32().is_err());
    }

    #[test]
    fn truncated_frames_are_errors_not_ends() {
        let bytes = encode(&[Frame::call(100, b"0123456789")]);
        for cut in 1..bytes.len() {
            let err = read_frame(&mut Cursor::new(&bytes[..cut])).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
        }
    }

    #[test]
    fn empty_and_oversized_lengths_are_refused_before_allocating() {
        let err = read_frame(&mut Cursor::new(0u32.to_le_bytes().to_vec())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // 4 GiB - 1 announced, 3 bytes present: refused at once.
        let mut bytes = u32::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[TAG_RESULT, 0, 0]);
        let err = read_frame(&mut Cursor::new(bytes)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("outside"), "{err}");
        let too_big = Frame::new(TAG_RESULT, vec![0; MAX_FRAME]);
        assert!(write_frame(&mut Vec::new(), &too_big).is_err());
    }

    #[test]
    fn hello_of_the_same_version_is_accepted() {
        let peer = Hello::check_peer(&Hello::ours().frame()).unwrap();
        assert_eq!(peer.version, PROTOCOL_VERSION);
        assert_eq!(peer.pid, std::process::id());
    }

    #[test]
    fn hello_of_another_version_protocol_or_abi_is_refused() {
        let newer = Hello { version: PROTOCOL_VERSION + 1, ..Hello::ours() };
        let err = Hello::check_peer(&newer.frame()).unwrap_err();
        assert!(err.contains("version mismatch") && err.contains(&format!("protocol {}", PROTOCOL_VERSION + 1)), "{err}");
        let abi = Hello { abi_version: 99, ..Hello::ours() };
        assert!(Hello::check_peer(&abi.frame()).unwrap_err().contains("ABI 99"));
        let other = Hello { protocol: "nu-plugin".into(), ..Hello::ours() };
        assert!(Hello::check_peer(&other.frame()).unwrap_err().contains("nu-plugin"));
        assert!(Hello::check_peer(&Frame::new(TAG_HELLO, b"{not json".to_vec())).unwrap_err().contains("malformed"));
        assert!(Hello::check_peer(&Frame::call(1, &[])).unwrap_err().contains("expected HELLO"));
        let refused = Hello::check_peer(&Frame::new(TAG_ERROR, b"go away".to_vec())).unwrap_err();
        assert!(refused.contains("go away"));
    }
}
