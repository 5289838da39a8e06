//! Sessions: login throttling, access + refresh token issue, refresh rotation with
//! reuse detection (a refresh token presented twice revokes its whole family).

use chrono::{Duration, NaiveDateTime, Utc};
use cotton_store::accounts as store;

use super::AccountRow;
use crate::auth::{self, Principal};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use cotton_store::accounts::{Attempts, RefreshRow};

/// Consecutive failures before the account name is locked, and for how long.
pub const MAX_FAILURES: i32 = 5;
pub const LOCK_MINUTES: i64 = 15;

pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub account: AccountRow,
}

/// A hash of a known-format Argon2 string, verified when the user does not exist
/// so that a wrong name costs as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Z1eDzZ0tqtB0eN5wS0ZkJ6U6n7s2bX1gFJ1V0lq2nA";

pub async fn login(state: &AppState, username: &str, password: &str) -> AppResult<Session> {
    let username = username.trim();
    let now = Utc::now().naive_utc();
    let mut conn = state.db.write().await?;
    let attempts: Option<Attempts> = store::find_attempts(&mut conn, username).await?;
    if let Some(locked) = attempts.as_ref().and_then(|a| a.locked_until).filter(|l| *l > now) {
        let minutes = ((locked - now).num_seconds() + 59) / 60;
        return Err(AppError::RateLimited(format!("登录失败次数过多，请 {minutes} 分钟后再试")));
    }
    let account = super::find_by_username(&mut conn, username).await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.into());
    if !auth::verify_password(password.to_string(), hash).await || account.is_none() {
        crate::metrics::LOGIN_FAILURES.inc();
        // A failure older than the lock window starts a fresh count.
        let previous = attempts
            .filter(|a| now.signed_duration_since(a.last_failure_at) < Duration::minutes(LOCK_MINUTES))
            .map(|a| a.failures)
            .unwrap_or(0);
        let failures = previous + 1;
        let locked_until = (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        store::record_failures(&mut conn, username, failures, now, locked_until).await?;
        drop(conn);
        // Slow down guessing: each consecutive failure waits a little longer.
        tokio::time::sleep(std::time::Duration::from_millis(150 * failures.min(6) as u64)).await;
        return Err(AppError::Unauthenticated("用户名或密码错误".into()));
    }
    let account = account.expect("checked above");
    if attempts.is_some() {
        store::clear_attempts(&mut conn, username).await?;
    }
    start_session(state, &mut conn, account).await
}

/// Issues an access token and a refresh token of a new family.
pub async fn start_session(state: &AppState, conn: &mut DbConn, account: AccountRow) -> AppResult<Session> {
    let family = auth::random_token(24);
    issue(state, conn, account, &family).await
}

async fn issue(state: &AppState, conn: &mut DbConn, account: AccountRow, family: &str) -> AppResult<Session> {
    let principal: Principal = super::principal_of(conn, &account).await?;
    let now = Utc::now();
    let (access_token, expires_at) = state.keys.issue_access(&principal, now)?;
    let refresh_token = auth::random_token(48);
    let expires = now.naive_utc() + Duration::from_std(state.keys.refresh_ttl).map_err(AppError::internal)?;
    let token_hash = auth::sha256_hex(&refresh_token);
    let new = store::NewRefreshToken {
        account_id: account.id,
        family,
        token_hash: &token_hash,
        created_at: now.naive_utc(),
        expires_at: expires,
    };
    store::insert_refresh_token(conn, &new).await?;
    Ok(Session { access_token, refresh_token, expires_at, account })
}

pub async fn refresh(state: &AppState, token: &str) -> AppResult<Session> {
    let hash = auth::sha256_hex(token.trim());
    let now = Utc::now().naive_utc();
    let mut conn = state.db.write().await?;
    let row: Option<RefreshRow> = store::find_refresh_token(&mut conn, &hash).await?;
    let Some(row) = row else {
        return Err(AppError::Unauthenticated("刷新凭证无效，请重新登录".into()));
    };
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthenticated("刷新凭证已失效，请重新登录".into()));
    }
    if row.expires_at <= now {
        return Err(AppError::Unauthenticated("刷新凭证已过期，请重新登录".into()));
    }
    // Mark used only if nobody did it first: a second presenter is a replay.
    let claimed = if row.used_at.is_none() {
        store::claim_refresh_token(&mut conn, row.id, now).await?
    } else {
        0
    };
    if claimed == 0 {
        revoke_family(&mut conn, &row.family, now).await?;
        tracing::warn!(account_id = row.account_id, "refresh token reused; session family revoked");
        return Err(AppError::Unauthenticated("刷新凭证已被使用，为安全起见请重新登录".into()));
    }
    let account = super::find(&mut conn, row.account_id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("账号不存在".into()))?;
    issue(state, &mut conn, account, &row.family).await
}

async fn revoke_family(conn: &mut DbConn, family: &str, now: NaiveDateTime) -> AppResult<()> {
    Ok(store::revoke_family(conn, family, now).await?)
}

/// After a password change every existing session must sign in again.
pub async fn revoke_all(conn: &mut DbConn, account_id: i64) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    Ok(store::revoke_all_of(conn, account_id, now).await?)
}
