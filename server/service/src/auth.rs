//! Sign-in primitives: Argon2id password hashes, HS256 access tokens, opaque
//! refresh tokens (stored only as hashes), and the request's [`Principal`].

use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use cotton_domain::orgs::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::access::Scope;
use crate::error::{AppError, AppResult};

/// Who is calling: decoded from the access token, no database round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: i64,
    pub role: Role,
    pub org_id: Option<i64>,
    /// The regiment whose area the account's org lies in.
    pub regiment_id: Option<i64>,
    /// A grower's mobile: their records are those of roster entries with it.
    pub phone: Option<String>,
    /// What the caller may reach, computed once from the fields above.
    pub scope: Scope,
}

impl Principal {
    pub fn new(account_id: i64, role: Role, org_id: Option<i64>, regiment_id: Option<i64>, phone: Option<String>) -> Principal {
        let scope = Scope::of(role, account_id, org_id, regiment_id, phone.as_deref());
        Principal { account_id, role, org_id, regiment_id, phone, scope }
    }
}

/// What the HTTP layer found in the `Authorization` header.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Authenticated(Principal),
    /// A token was sent but is expired or invalid: say so instead of "please sign in".
    BadToken(String),
}

impl Caller {
    pub fn principal(&self) -> AppResult<&Principal> {
        match self {
            Caller::Authenticated(p) => Ok(p),
            Caller::Anonymous => Err(AppError::unauthenticated()),
            Caller::BadToken(msg) => Err(AppError::Unauthenticated(msg.clone())),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reg: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ph: Option<String>,
    iat: i64,
    exp: i64,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: std::time::Duration,
    pub refresh_ttl: std::time::Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: std::time::Duration, refresh_ttl: std::time::Duration) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
            refresh_ttl,
        }
    }

    /// The secret from configuration, or one generated once and kept in the data dir.
    pub fn load_secret(configured: Option<&str>, data_dir: &Path) -> std::io::Result<Vec<u8>> {
        if let Some(s) = configured {
            return Ok(s.as_bytes().to_vec());
        }
        let path = data_dir.join("jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            if existing.trim().len() >= 32 {
                return Ok(existing.trim().as_bytes().to_vec());
            }
        }
        std::fs::create_dir_all(data_dir)?;
        let secret = random_token(48);
        std::fs::write(&path, &secret)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(secret.into_bytes())
    }

    pub fn issue_access(&self, p: &Principal, now: DateTime<Utc>) -> AppResult<(String, DateTime<Utc>)> {
        let exp = now + chrono::Duration::from_std(self.access_ttl).map_err(AppError::internal)?;
        let claims = Claims {
            sub: p.account_id.to_string(),
            role: p.role.as_str().to_string(),
            org: p.org_id,
            reg: p.regiment_id,
            ph: p.phone.clone(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, exp))
    }

    pub fn verify_access(&self, token: &str) -> Result<Principal, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "登录已过期，请重新登录".to_string(),
                _ => "登录凭证无效，请重新登录".to_string(),
            }
        })?;
        let c = data.claims;
        Ok(Principal::new(
            c.sub.parse().map_err(|_| "登录凭证无效，请重新登录".to_string())?,
            Role::parse(&c.role).ok_or_else(|| "登录凭证无效，请重新登录".to_string())?,
            c.org,
            c.reg,
            c.ph,
        ))
    }
}

/// Argon2id with the crate's default (OWASP) parameters; run off the async threads.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A URL-safe random token of `len` characters.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A password that satisfies the password policy, for accounts created in bulk.
pub fn generate_password() -> String {
    const LETTERS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut pw: Vec<u8> = (0..10)
        .map(|i| if i % 3 == 2 { DIGITS[rng.random_range(0..DIGITS.len())] } else { LETTERS[rng.random_range(0..LETTERS.len())] })
        .collect();
    pw.push(DIGITS[rng.random_range(0..DIGITS.len())]);
    String::from_utf8(pw).expect("ascii")
}

pub fn sha256_hex(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}
