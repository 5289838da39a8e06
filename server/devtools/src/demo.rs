//! `serve --demo`: a small realistic data set, loaded once per database.

use cotton_service::accounts::CreateAccount as _;
use chrono::Utc;
use cotton_service::domain::orgs::{OrgKind, Role};

use cotton_service::accounts::NewAccount;
use cotton_service::auth;
use cotton_service::error::AppResult;
use cotton_service::state::AppState;
use cotton_service::tx::Tx;

pub use crate::demo_season::DEMO_PASSWORD;
/// The platform admin the demo creates when the database has none yet.
pub const DEMO_ADMIN_PASSWORD: &str = "Admin@2026";

/// (username, role, org code) of every demo account.
pub const DEMO_ACCOUNTS: [(&str, Role, &str); 8] = [
    ("tuan1", Role::Regiment, "XJBT-01-01"),
    ("tuan2", Role::Regiment, "XJBT-01-02"),
    ("lian11", Role::Company, "XJBT-01-01-01"),
    ("lian12", Role::Company, "XJBT-01-01-02"),
    ("lian21", Role::Company, "XJBT-01-02-01"),
    ("lian22", Role::Company, "XJBT-01-02-02"),
    ("qts65001", Role::Enterprise, "65001"),
    ("qts65002", Role::Enterprise, "65002"),
];

/// (kind, code, name, parent code)
const DEMO_ORGS: [(OrgKind, &str, &str, Option<&str>); 10] = [
    (OrgKind::Corps, "XJBT", "新疆生产建设兵团", None),
    (OrgKind::Division, "XJBT-01", "第一师", Some("XJBT")),
    (OrgKind::Regiment, "XJBT-01-01", "第一师一团", Some("XJBT-01")),
    (OrgKind::Regiment, "XJBT-01-02", "第一师二团", Some("XJBT-01")),
    (OrgKind::Company, "XJBT-01-01-01", "一团一连", Some("XJBT-01-01")),
    (OrgKind::Company, "XJBT-01-01-02", "一团二连", Some("XJBT-01-01")),
    (OrgKind::Company, "XJBT-01-02-01", "二团一连", Some("XJBT-01-02")),
    (OrgKind::Company, "XJBT-01-02-02", "二团二连", Some("XJBT-01-02")),
    (OrgKind::Enterprise, "65001", "一团棉花加工厂", Some("XJBT-01-01")),
    (OrgKind::Enterprise, "65002", "二团金丰棉业有限公司", Some("XJBT-01-02")),
];

/// Loads the demo data unless this database has it already. Returns whether it loaded.
pub async fn load(state: &AppState) -> AppResult<bool> {
    let mut conn = state.db.write().await?;
    let loaded: Option<String> = cotton_service::db::meta::get(&mut conn, "demo_loaded").await?;
    if loaded.is_some() {
        return Ok(false);
    }
    for (kind, code, name, parent_code) in DEMO_ORGS {
        if cotton_service::orgs::find_by_code(&mut conn, code).await?.is_some() {
            continue;
        }
        let parent = match parent_code {
            Some(p) => cotton_service::orgs::find_by_code(&mut conn, p).await?,
            None => None,
        };
        let regiment_id = match kind {
            OrgKind::Company | OrgKind::Enterprise => parent.as_ref().map(|p| p.id),
            _ => None,
        };
        let parent_id = parent.map(|p| p.id);
        let mut tx = Tx::begin(state, &mut conn).await?;
        let created = cotton_service::orgs::create(&mut tx, kind, code, name, parent_id, regiment_id).await;
        tx.finish(created).await?;
    }
    let hash = auth::hash_password(DEMO_PASSWORD.to_string()).await?;
    for (username, role, org_code) in DEMO_ACCOUNTS {
        if cotton_service::accounts::find_by_username(&mut conn, username).await?.is_some() {
            continue;
        }
        let org = cotton_service::orgs::find_by_code(&mut conn, org_code).await?.expect("demo org created above");
        cotton_service::accounts::create_org_account(&mut conn, username, &hash, role, &org).await?;
    }
    let has_admin: i64 = cotton_service::db::accounts::count_with_role(&mut conn, Role::PlatformAdmin).await?;
    if has_admin == 0 {
        let admin_hash = auth::hash_password(DEMO_ADMIN_PASSWORD.to_string()).await?;
        NewAccount {
            username: "admin",
            password_hash: &admin_hash,
            role: Role::PlatformAdmin.as_str(),
            org_id: None,
            phone: None,
            display_name: Some("平台管理员"),
            created_at: Utc::now().naive_utc(),
        }
        .create(&mut conn)
        .await?;
    }
    drop(conn);
    crate::demo_season::load(state).await?;
    let mut conn = state.db.write().await?;
    cotton_service::db::meta::insert(&mut conn, "demo_loaded", &Utc::now().to_rfc3339()).await?;
    Ok(true)
}

pub fn describe(listen: &str) -> String {
    let mut s = format!("\nCotton Trace demo — every demo account's password is {DEMO_PASSWORD}\n");
    for (username, role, org) in DEMO_ACCOUNTS {
        s.push_str(&format!("  {username:<10} {:<11} {org}\n", role.as_str()));
    }
    s.push_str(&format!("  admin      PLATFORM_ADMIN (created by --demo with password {DEMO_ADMIN_PASSWORD} when the database had no admin)\n"));
    s.push_str(&format!(
        "  {:<10} INITIATOR   (组团发起人, 二团)\n  growers sign in by SMS (growerLogin), e.g. {} — codes via devSmsCodes\n",
        crate::demo_season::DEMO_INITIATOR.0,
        crate::demo_season::demo_grower_phone(1, 1)
    ));
    s.push_str(&format!(
        "  qts65001 has tickets, printed cards, lines 一号线 (IV), 二号线 (V), 六号线 (VI); verification account {} / {}\n",
        crate::demo_season::DEMO_VERIFIER.0,
        crate::demo_season::DEMO_VERIFIER.1
    ));
    let bales: Vec<&str> = crate::demo_season::DEMO_UNTRACED_BALES.iter().map(|b| b.0).collect();
    s.push_str(&format!(
        "  bales {} (untraced, 六号线) are those of docs/samples/inspections.csv (importInspections as admin)\n",
        bales.join(", ")
    ));
    s.push_str(&format!("GraphiQL: http://{listen}/graphql\n"));
    s
}
