//! Self-service: SMS codes, group initiators registering by phone, ginning
//! enterprises registering as `qts<code>`.

use crate::accounts::CreateAccount as _;
use chrono::{Duration, NaiveDateTime, Utc};
use cotton_domain::identity::validate_mobile;
use cotton_domain::orgs::{self as rules, OrgKind, Role};
use cotton_store::accounts as store;
use rand::Rng;

use super::sessions::{self, Session};
use super::NewAccount;
use crate::auth;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic};
use crate::ids::parse_id;
use crate::state::AppState;
use crate::orgs::NewOrg;
use crate::tx::Tx;

pub use cotton_store::accounts::{CodeRow};

pub const CODE_TTL_MINUTES: i64 = 5;
pub const MIN_INTERVAL_SECS: i64 = 60;
pub const MAX_PER_DAY: i64 = 10;
/// Wrong guesses before a code is burnt.
pub const MAX_ATTEMPTS: i32 = 5;

fn code_hash(phone: &str, code: &str) -> String {
    auth::sha256_hex(&format!("{phone}:{}", code.trim()))
}

pub async fn send_code(state: &crate::state::AppState, phone: &str) -> AppResult<()> {
    let phone = validate_mobile(phone)?;
    let now = Utc::now().naive_utc();
    let mut conn = state.db.write().await?;
    let recent: Vec<NaiveDateTime> = store::code_times_since(&mut conn, &phone, now - Duration::hours(24)).await?;
    if let Some(last) = recent.first() {
        let wait = MIN_INTERVAL_SECS - (now - *last).num_seconds();
        if wait > 0 {
            return Err(AppError::RateLimited(format!("验证码发送过于频繁，请 {wait} 秒后再试")));
        }
    }
    if recent.len() as i64 >= MAX_PER_DAY {
        return Err(AppError::RateLimited("该手机号今日验证码发送次数已达上限".into()));
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    store::insert_code(&mut conn, &phone, &code_hash(&phone, &code), now, now + Duration::minutes(CODE_TTL_MINUTES)).await?;
    drop(conn);
    state.sms.send_code(&phone, &code).await.map_err(|e| AppError::Unavailable(format!("短信发送失败：{e}")))
}

/// Is `code` a live, unused code of `phone`? (Nothing is changed.)
pub async fn code_matches(conn: &mut DbConn, phone: &str, code: &str) -> AppResult<bool> {
    let now = Utc::now().naive_utc();
    let wanted = code_hash(phone, code);
    let n: i64 = store::count_live_codes_with_hash(conn, phone, &wanted, now, MAX_ATTEMPTS).await?;
    Ok(n > 0)
}

/// Checks `code` for `phone` and marks it used. Wrong guesses count against the
/// newest code and burn it after [`MAX_ATTEMPTS`].
pub async fn consume_code(conn: &mut DbConn, phone: &str, code: &str) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    let live: Vec<CodeRow> = store::live_codes(conn, phone, now, MAX_ATTEMPTS).await?;
    let wanted = code_hash(phone, code);
    if let Some(hit) = live.iter().find(|c| c.code_hash == wanted) {
        let claimed = store::claim_code(conn, hit.id, now).await?;
        if claimed == 1 {
            return Ok(());
        }
    } else if let Some(newest) = live.first() {
        store::set_code_attempts(conn, newest.id, newest.attempts + 1).await?;
    }
    Err(AppError::Validation("验证码错误或已失效，请重新获取".into()))
}

/// `registerInitiator`: a group initiator registers with phone + SMS code under a
/// regiment or company, and is signed in.
pub async fn register_initiator(state: &AppState, phone: &str, code: &str, password: String, name: &str, org_id: &str) -> AppResult<Session> {
        let phone = validate_mobile(phone)?;
        let name = rules::validate_name(name, "姓名")?;
        rules::validate_password(&password)?;
        let org_id = parse_id(org_id, "所属团场或连队")?;
        let mut conn = state.db.write().await?;
        let org = crate::orgs::require(&mut conn, org_id).await?;
        if !matches!(org.kind(), OrgKind::Regiment | OrgKind::Company) {
            return Err(AppError::Validation("组团发起人须选择所属团场或连队".into()));
        }
        // A wrong or used code is the first thing to say (and counts as a guess);
        // a taken phone is refused without using up a good code.
        if !code_matches(&mut conn, &phone, code).await? {
            consume_code(&mut conn, &phone, code).await?;
        }
        if username_taken(&mut conn, &phone).await? {
            return Err(AppError::Conflict(format!("手机号 {phone} 已注册，请直接登录")));
        }
        consume_code(&mut conn, &phone, code).await?;
        let hash = auth::hash_password(password).await?;
        let account = NewAccount {
            username: &phone,
            password_hash: &hash,
            role: Role::Initiator.as_str(),
            org_id: Some(org.id),
            phone: Some(&phone),
            display_name: Some(&name),
            created_at: Utc::now().naive_utc(),
        }
        .create(&mut conn)
        .await?;
        sessions::start_session(state, &mut conn, account).await
    }

/// `registerEnterprise`: a ginning enterprise registers itself (its account name is
/// `qts` + enterprise code), and is signed in.
pub async fn register_enterprise(state: &AppState, enterprise_code: &str, name: &str, regiment_id: &str, password: String, phone: &str) -> AppResult<Session> {
        let code = rules::validate_org_code(enterprise_code)?;
        let name = rules::validate_name(name, "企业名称")?;
        let phone = validate_mobile(phone)?;
        rules::validate_password(&password)?;
        let regiment_id = parse_id(regiment_id, "所属团场")?;
        let username = rules::enterprise_username(&code);
        let mut conn = state.db.write().await?;
        let regiment = crate::orgs::require(&mut conn, regiment_id).await?;
        if regiment.kind() != OrgKind::Regiment {
            return Err(AppError::Validation("加工企业须选择所属团场".into()));
        }
        if username_taken(&mut conn, &username).await? || crate::orgs::find_by_code(&mut conn, &code).await?.is_some() {
            return Err(AppError::Conflict(format!("企业编码 {code} 已注册，请使用账号 {username} 登录")));
        }
        let hash = auth::hash_password(password).await?;
        let now = Utc::now().naive_utc();
        let new_org = NewOrg {
            kind: OrgKind::Enterprise.as_str(),
            code: &code,
            name: &name,
            parent_id: Some(regiment.id),
            regiment_id: Some(regiment.id),
            created_at: now,
        };
        // The org, its account and the ORG_CREATED event commit together.
        let mut tx = Tx::begin(state, &mut conn).await?;
        let outcome: AppResult<_> = async {
            let org = cotton_store::orgs::insert(tx.conn(), &new_org).await?;
            let account = NewAccount {
                username: &username,
                password_hash: &hash,
                role: Role::Enterprise.as_str(),
                org_id: Some(org.id),
                phone: Some(&phone),
                display_name: Some(&name),
                created_at: now,
            }
            .insert(tx.conn())
            .await?;
            let mut event = Event::new(EventTopic::OrgCreated);
            event.region_id = Some(regiment.id);
            event.enterprise_id = Some(org.id);
            tx.emit(event).await?;
            Ok(account)
        }
        .await;
        let account = tx.finish(outcome).await.map_err(|e| {
            if e.is_unique_violation() {
                AppError::Conflict(format!("企业编码 {code} 已注册，请使用账号 {username} 登录"))
            } else {
                e
            }
        })?;
        sessions::start_session(state, &mut conn, account).await
    }

async fn username_taken(conn: &mut DbConn, username: &str) -> AppResult<bool> {
    Ok(super::find_by_username(conn, username).await?.is_some())
}
