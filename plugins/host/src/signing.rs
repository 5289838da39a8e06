//! Signed export and upload files (rules §7, §8).
//!
//! Both directions use **Ed25519** and the same trailer line, whatever the
//! collector's file format:
//!
//! ```text
//! <file body, exactly as the plugin wrote it, ending with a line break>
//! #CTSIG 1 <EXPORT|UPLOAD> <line id> <key id> <signature, base64>
//! ```
//!
//! - **Export** files (platform → device) are signed with the **platform key**.
//!   Devices hold the platform's public key and refuse a file whose signature
//!   does not verify: a tampered file never reaches the line.
//! - **Upload** files (device → platform) are signed with the **line key**, a key
//!   pair generated for each production line when it is registered: the private
//!   key goes to that line's device, the platform keeps the public key. The
//!   platform refuses (`BAD_FILE`) a file that is unsigned, signed for another
//!   line or another purpose, or altered in any byte.
//!
//! The signature covers
//! `"cotton-trace file signature v1\n" + purpose + "\n" + line id + "\n" + key id + "\n" + body`,
//! so a valid export cannot be passed off as an upload, nor a file of one line
//! as another's. The key id is the first 8 bytes of SHA-256 of the public key,
//! in hex; it lets a device with several keys pick the right one and gives a
//! clear message when the wrong key is configured. The check runs on the raw
//! bytes before any plugin parses them, so a driver's parsing bug cannot let a
//! forged file through.
//!
//! Keys travel as base64 (standard alphabet) of their 32 bytes: the Ed25519
//! seed for a private key, the compressed point for a public key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use ed25519_dalek::{Signature, Signer};
use sha2::{Digest, Sha256};

use cotton_domain::processing::validate_line_id;

/// The first word of the trailer line.
pub const TRAILER_TAG: &str = "#CTSIG";
/// The version of the trailer format.
pub const TRAILER_VERSION: &str = "1";
const CONTEXT: &[u8] = b"cotton-trace file signature v1\n";

/// Which way a file travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    /// Platform → device, signed with the platform key.
    Export,
    /// Device → platform, signed with the line key.
    Upload,
}

impl FilePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            FilePurpose::Export => "EXPORT",
            FilePurpose::Upload => "UPLOAD",
        }
    }
    fn label_zh(self) -> &'static str {
        match self {
            FilePurpose::Export => "导出文件",
            FilePurpose::Upload => "上传文件",
        }
    }
    fn signer_zh(self) -> &'static str {
        match self {
            FilePurpose::Export => "平台",
            FilePurpose::Upload => "生产线",
        }
    }
}

/// Why a file was refused; the message is Chinese, for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignatureError(pub String);

/// A fresh random key (platform key or line key).
pub fn generate_key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random source works");
    SigningKey::from_bytes(&seed)
}

/// The key id of a public key: hex of the first 8 bytes of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// A private key as base64 of its 32-byte seed.
pub fn signing_key_to_base64(key: &SigningKey) -> String {
    STANDARD.encode(key.to_bytes())
}

/// A public key as base64 of its 32 bytes.
pub fn verifying_key_to_base64(key: &VerifyingKey) -> String {
    STANDARD.encode(key.as_bytes())
}

fn key_bytes(s: &str, what: &str) -> Result<[u8; 32], SignatureError> {
    let bytes = STANDARD
        .decode(s.trim())
        .map_err(|_| SignatureError(format!("{what}不是有效的base64")))?;
    bytes
        .try_into()
        .map_err(|_| SignatureError(format!("{what}长度错误：应为32字节")))
}

/// Reads a private key written by [`signing_key_to_base64`].
pub fn signing_key_from_base64(s: &str) -> Result<SigningKey, SignatureError> {
    Ok(SigningKey::from_bytes(&key_bytes(s, "私钥")?))
}

/// Reads a public key written by [`verifying_key_to_base64`].
pub fn verifying_key_from_base64(s: &str) -> Result<VerifyingKey, SignatureError> {
    VerifyingKey::from_bytes(&key_bytes(s, "公钥")?).map_err(|_| SignatureError("公钥无效".into()))
}

fn message(purpose: FilePurpose, line_id: &str, kid: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + line_id.len() + body.len() + 40);
    m.extend_from_slice(CONTEXT);
    m.extend_from_slice(purpose.as_str().as_bytes());
    m.push(b'\n');
    m.extend_from_slice(line_id.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(kid.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m
}

/// Signs a file body: returns body (with a final line break added if it had
/// none) + the trailer line. The trailer ends like the body's last line (CRLF or
/// LF).
pub fn sign_file(purpose: FilePurpose, line_id: &str, key: &SigningKey, body: &[u8]) -> Result<Vec<u8>, SignatureError> {
    validate_line_id(line_id).map_err(|e| SignatureError(e.to_string()))?;
    let mut file = Vec::with_capacity(body.len() + 160);
    file.extend_from_slice(body);
    if !file.is_empty() && !file.ends_with(b"\n") {
        file.push(b'\n');
    }
    let eol: &[u8] = if file.ends_with(b"\r\n") { b"\r\n" } else { b"\n" };
    let kid = key_id(&key.verifying_key());
    let sig = key.sign(&message(purpose, line_id, &kid, &file));
    let trailer = format!(
        "{TRAILER_TAG} {TRAILER_VERSION} {} {line_id} {kid} {}",
        purpose.as_str(),
        STANDARD.encode(sig.to_bytes())
    );
    file.extend_from_slice(trailer.as_bytes());
    file.extend_from_slice(eol);
    Ok(file)
}

/// Checks a signed file and returns its body (everything before the trailer
/// line, as signed). Refuses a file with no trailer, a trailer for another
/// purpose, line or key, or a signature that does not verify.
pub fn verify_file<'a>(
    purpose: FilePurpose,
    line_id: &str,
    key: &VerifyingKey,
    file: &'a [u8],
) -> Result<&'a [u8], SignatureError> {
    let what = purpose.label_zh();
    let missing = || {
        SignatureError(format!(
            "{what}没有{}签名，请使用原始文件（不要用其他软件另存或编辑）",
            purpose.signer_zh()
        ))
    };
    let mut end = file.len();
    if file[..end].ends_with(b"\n") {
        end -= 1;
    }
    if file[..end].ends_with(b"\r") {
        end -= 1;
    }
    let start = file[..end].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let (body, trailer) = (&file[..start], &file[start..end]);
    let trailer = std::str::from_utf8(trailer).map_err(|_| missing())?;
    let fields: Vec<&str> = trailer.split(' ').collect();
    if fields.len() != 6 || fields[0] != TRAILER_TAG {
        return Err(missing());
    }
    if fields[1] != TRAILER_VERSION {
        return Err(SignatureError(format!("{what}的签名格式版本{}不受支持", fields[1])));
    }
    if fields[2] != purpose.as_str() {
        return Err(SignatureError(format!(
            "文件类型不符：需要{what}，这是{}签名的文件",
            fields[2]
        )));
    }
    if fields[3] != line_id {
        return Err(SignatureError(format!(
            "{what}属于生产线{}，不是生产线{line_id}",
            fields[3].chars().take(32).collect::<String>()
        )));
    }
    let kid = key_id(key);
    if fields[4] != kid {
        return Err(SignatureError(format!(
            "{what}的签名密钥（{}）与{}密钥（{kid}）不符",
            fields[4].chars().take(16).collect::<String>(),
            purpose.signer_zh()
        )));
    }
    let tampered = || SignatureError(format!("{what}签名校验失败：文件已被修改或伪造"));
    let sig_bytes: [u8; 64] = STANDARD
        .decode(fields[5])
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(tampered)?;
    let sig = Signature::from_bytes(&sig_bytes);
    key.verify_strict(&message(purpose, line_id, &kid, body), &sig)
        .map_err(|_| tampered())?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    #[test]
    fn sign_and_verify() {
        let k = key(1);
        let body = "H01IV\r\nD张三\r\n".as_bytes();
        let file = sign_file(FilePurpose::Export, "L1", &k, body).unwrap();
        assert!(file.starts_with(body));
        let text = String::from_utf8(file.clone()).unwrap();
        let trailer = text.lines().last().unwrap();
        assert!(trailer.starts_with(&format!("#CTSIG 1 EXPORT L1 {} ", key_id(&k.verifying_key()))));
        assert!(text.ends_with("\r\n"), "CRLF body gets a CRLF trailer");
        assert_eq!(verify_file(FilePurpose::Export, "L1", &k.verifying_key(), &file).unwrap(), body);

        // LF body, body without a final newline, empty body.
        let f = sign_file(FilePurpose::Upload, "L-2", &k, b"{\"a\":1}").unwrap();
        assert!(f.ends_with(b"\n") && !f.ends_with(b"\r\n"));
        assert_eq!(verify_file(FilePurpose::Upload, "L-2", &k.verifying_key(), &f).unwrap(), b"{\"a\":1}\n");
        let f = sign_file(FilePurpose::Upload, "L-2", &k, b"").unwrap();
        assert_eq!(verify_file(FilePurpose::Upload, "L-2", &k.verifying_key(), &f).unwrap(), b"");
        // A trailer without a final line break still verifies.
        let f = sign_file(FilePurpose::Export, "L1", &k, b"x\n").unwrap();
        assert!(verify_file(FilePurpose::Export, "L1", &k.verifying_key(), &f[..f.len() - 1]).is_ok());
        assert!(sign_file(FilePurpose::Export, "L 1", &k, b"x").is_err());
    }

    #[test]
    fn refusals() {
        let k = key(1);
        let pk = k.verifying_key();
        let file = sign_file(FilePurpose::Export, "L1", &k, b"line one\nline two\n").unwrap();

        // Every single-byte change in the body or the signature is caught.
        let body_len = b"line one\nline two\n".len();
        for i in 0..file.len() - 1 {
            let mut t = file.clone();
            t[i] ^= 0x01;
            let r = verify_file(FilePurpose::Export, "L1", &pk, &t);
            assert!(r.is_err(), "flip at byte {i} accepted");
            if i < body_len - 1 {
                assert_eq!(r.unwrap_err().0, "导出文件签名校验失败：文件已被修改或伪造");
            }
        }
        // Appending or removing a body line.
        let mut t = b"line zero\n".to_vec();
        t.extend_from_slice(&file);
        assert!(verify_file(FilePurpose::Export, "L1", &pk, &t).is_err());
        assert!(verify_file(FilePurpose::Export, "L1", &pk, &file[9..]).is_err());

        let err = |p, l: &str, k: &VerifyingKey, f: &[u8]| verify_file(p, l, k, f).unwrap_err().0;
        assert_eq!(err(FilePurpose::Export, "L1", &pk, b"line one\n"), "导出文件没有平台签名，请使用原始文件（不要用其他软件另存或编辑）");
        assert!(err(FilePurpose::Upload, "L1", &pk, b"").contains("没有生产线签名"));
        assert!(err(FilePurpose::Upload, "L1", &pk, &file).starts_with("文件类型不符"));
        assert_eq!(err(FilePurpose::Export, "L2", &pk, &file), "导出文件属于生产线L1，不是生产线L2");
        assert!(err(FilePurpose::Export, "L1", &key(2).verifying_key(), &file).contains("与平台密钥"));

        // A forger who knows the format but not the key: right key id, own signature.
        let forged_key = key(9);
        let mut forged = sign_file(FilePurpose::Export, "L1", &forged_key, b"line one\nline two\n").unwrap();
        let text = String::from_utf8(forged.clone()).unwrap();
        let kid_forged = key_id(&forged_key.verifying_key());
        forged = text.replace(&kid_forged, &key_id(&pk)).into_bytes();
        assert_eq!(err(FilePurpose::Export, "L1", &pk, &forged), "导出文件签名校验失败：文件已被修改或伪造");
    }

    #[test]
    fn keys_round_trip_as_base64() {
        let k = generate_key();
        let k2 = signing_key_from_base64(&signing_key_to_base64(&k)).unwrap();
        assert_eq!(k.to_bytes(), k2.to_bytes());
        let p = verifying_key_from_base64(&verifying_key_to_base64(&k.verifying_key())).unwrap();
        assert_eq!(p, k.verifying_key());
        assert_ne!(generate_key().to_bytes(), k.to_bytes());
        assert!(signing_key_from_base64("abc").is_err());
        assert!(verifying_key_from_base64(&STANDARD.encode([0u8; 31])).is_err());
        assert_eq!(key_id(&k.verifying_key()).len(), 16);
    }
}
