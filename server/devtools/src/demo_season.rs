//! The demo's season: rosters of the four companies and trace units in every state,
//! made through the same code paths as production (roster upsert, unit service).

use cotton_service::accounts::CreateAccount as _;
use cotton_service::ids::{TicketId, UnitId};
use cotton_service::domain::identity::id_check_char;
use cotton_service::domain::orgs::Role;
use rust_decimal::Decimal;

use cotton_service::accounts::NewAccount;
use cotton_service::auth::{self, Principal};
use cotton_service::error::AppResult;
use cotton_service::rosters::import::{RosterLine, import_line};
use cotton_service::state::AppState;
use cotton_service::units::service::{self, NewUnit};
use cotton_service::domain::processing::{CollectorModel, ProcessingEvent};
use cotton_service::domain::units::UnitKind;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "Cotton@2026";
pub const DEMO_SEASON: i32 = 2026;
pub const GROWERS_PER_COMPANY: usize = 16;
/// The demo initiator (组团发起人) of the second regiment.
pub const DEMO_INITIATOR: (&str, &str) = ("13900000021", "faqi21");

const SURNAMES: [&str; 10] = ["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 8] = ["建国", "秀英", "志强", "桂兰", "德明", "玉梅", "新民", "红霞"];

/// A valid (checksummed) demo ID number for grower `n`.
pub fn demo_id_number(n: usize) -> String {
    let body = format!("650102{}{:02}{:02}{:03}", 1960 + n % 30, 1 + n % 12, 1 + n % 28, n % 1000);
    let bytes: [u8; 17] = body.as_bytes().try_into().expect("17 digits");
    format!("{body}{}", id_check_char(&bytes))
}

/// Mobile of grower `g` (1-based) of company `c` (1-based): 139 cc gggggg.
pub fn demo_grower_phone(c: usize, g: usize) -> String {
    format!("139{c:02}{g:06}")
}

async fn principal(state: &AppState, username: &str) -> AppResult<Principal> {
    let mut conn = state.db.read().await?;
    let account = cotton_service::accounts::find_by_username(&mut conn, username).await?.expect("demo account exists");
    cotton_service::accounts::principal_of(&mut conn, &account).await
}

pub async fn load(state: &AppState) -> AppResult<()> {
    let companies = ["XJBT-01-01-01", "XJBT-01-01-02", "XJBT-01-02-01", "XJBT-01-02-02"];
    let mut plot_ids: Vec<Vec<i64>> = Vec::new();
    let mut conn = state.db.write().await?;
    for (ci, code) in companies.iter().enumerate() {
        let company = cotton_service::orgs::find_by_code(&mut conn, code).await?.expect("demo company");
        let mut ids = Vec::new();
        for g in 1..=GROWERS_PER_COMPANY {
            let n = ci * 100 + g;
            for p in 1..=2 {
                let line = RosterLine {
                    name: format!("{}{}", SURNAMES[(n * 7 + n / 10) % 10], GIVEN[(n * 3 + n / 100) % 8]),
                    id_number: demo_id_number(n),
                    phone: Some(demo_grower_phone(ci + 1, g)),
                    plot_code: format!("{}-{g:02}-{p}", &code[code.len() - 5..]),
                    area_mu: Decimal::from(25 + ((g + p) % 5) as i64 * 5),
                    location: Some(format!("第{}条田", g * 2 + p)),
                    variety: Some(if p == 1 { "新陆早84号" } else { "中棉113" }.to_string()),
                };
                import_line(&mut conn, &company, DEMO_SEASON, &line).await?;
            }
        }
        let season_plots = cotton_service::rosters::plots_by_company_season(&mut conn, company.id, DEMO_SEASON).await?;
        ids.extend(season_plots.iter().map(|p| p.id));
        plot_ids.push(ids);
    }
    // The initiator of regiment 2, registered under 二团.
    let regiment2 = cotton_service::orgs::find_by_code(&mut conn, "XJBT-01-02").await?.expect("demo regiment");
    if cotton_service::accounts::find_by_username(&mut conn, DEMO_INITIATOR.0).await?.is_none() {
        let hash = auth::hash_password(DEMO_PASSWORD.to_string()).await?;
        NewAccount {
            username: DEMO_INITIATOR.0,
            password_hash: &hash,
            role: Role::Initiator.as_str(),
            org_id: Some(regiment2.id),
            phone: Some(DEMO_INITIATOR.0),
            display_name: Some("马合木提（组团发起人）"),
            created_at: chrono::Utc::now().naive_utc(),
        }
        .create(&mut conn)
        .await?;
    }
    drop(conn);

    // 16 plots (8 growers) of ~ 560 mu make a unit.
    let half = |c: usize, second: bool| -> Vec<i64> {
        let v = &plot_ids[c];
        if second { v[v.len() / 2..].to_vec() } else { v[..v.len() / 2].to_vec() }
    };
    let unit = |name: &str, kind: UnitKind, plots: Vec<i64>| NewUnit {
        kind,
        name: name.to_string(),
        season: DEMO_SEASON,
        region_id: None,
        legal_person: None,
        plot_ids: plots,
    };
    let lian11 = principal(state, "lian11").await?;
    let lian12 = principal(state, "lian12").await?;
    let lian21 = principal(state, "lian21").await?;
    let tuan1 = principal(state, "tuan1").await?;
    let tuan2 = principal(state, "tuan2").await?;
    let faqi = principal(state, DEMO_INITIATOR.0).await?;

    let a = service::create(state, &lian11, unit("一团一连第一追溯单元", UnitKind::Company, half(0, false))).await?;
    service::review(state, &tuan1, UnitId::from(a.id), true, Some("面积与名册核对无误".into())).await?;
    service::create(state, &lian11, unit("一团一连第二追溯单元", UnitKind::Company, half(0, true))).await?;
    let c = service::create(state, &lian12, unit("一团二连第一追溯单元", UnitKind::Company, half(1, false))).await?;
    service::review(state, &tuan1, UnitId::from(c.id), false, Some("成员地块与实际种植不符，请核实后修改".into())).await?;
    let d = service::create(state, &lian12, unit("一团二连临时单元", UnitKind::Company, half(1, true))).await?;
    service::dissolve(state, &lian12, UnitId::from(d.id)).await?;
    let e = service::create(state, &lian21, unit("二团一连第一追溯单元", UnitKind::Company, half(2, false))).await?;
    service::review(state, &tuan2, UnitId::from(e.id), true, None).await?;
    service::create(state, &faqi, unit("二团棉农自由组团", UnitKind::Free, half(3, false))).await?;
    ginning(state, &plot_ids[0]).await
}

/// The verification account (校验账号) of the demo enterprise qts65001.
pub const DEMO_VERIFIER: (&str, &str) = ("jiaoyan65001", "Verify2026");

/// Bales (barcode, net kg, moisture %) qts65001's press labelled on 六号线 (VI)
/// before any card was scanned: the line starts untraced, so they took no part
/// in tracing. They are the bales of `docs/samples/inspections.csv`, so the
/// README's inspection import works on a `--demo` server.
pub const DEMO_UNTRACED_BALES: [(&str, &str, &str); 2] =
    [("650012026000001", "227.30", "7.9"), ("650012026000002", "226.10", "8.0")];

/// Enterprise qts65001 weighs four growers of the approved unit, prints cards for
/// three (when a printer plugin is loaded), and has an IV, a V and a VI line.
async fn ginning(state: &AppState, approved_plots: &[i64]) -> AppResult<()> {
    use cotton_service::tickets::TicketUpload;
    let qts = principal(state, "qts65001").await?;
    let now = chrono::Utc::now();
    let mut tickets = Vec::new();
    for g in 0..4usize {
        let up = TicketUpload {
            ticket_no: format!("65001-2026-{:05}", g + 1),
            season: DEMO_SEASON,
            grower_id_number: demo_id_number(g + 1),
            plot_ids: approved_plots[2 * g..2 * g + 2].to_vec(),
            gross_kg: Decimal::new(3_250_50 + 13_370 * g as i64, 2),
            tare_kg: Some(Decimal::new(850_30 + 1_110 * g as i64, 2)),
            moisture_pct: Some(Decimal::new(82 + g as i64, 1)),
            trash_pct: None,
            lint_yield_pct: Some(Decimal::new(3_850 + 25 * g as i64, 2)),
            module_count: Some(4),
            weighed_at: now - chrono::Duration::minutes(5),
        };
        tickets.push(cotton_service::tickets::upload(state, &qts, up).await?);
    }
    if cotton_service::printing::resolve(state, None).is_ok() {
        for t in &tickets[..3] {
            cotton_service::cards::print(state, &qts, TicketId::from(t.id), "ROUND_MODULE", 4, 1, None).await?;
        }
    } else {
        tracing::warn!("demo: no printer plugin loaded, so no trace cards were printed");
    }
    let mut vi = None;
    for (name, model) in [("一号线", CollectorModel::Iv), ("二号线", CollectorModel::V), ("六号线", CollectorModel::Vi)] {
        let line = cotton_service::lines::create(state, &qts, name, model).await?;
        if model == CollectorModel::Vi {
            vi = Some(line);
        }
    }
    let vi = vi.expect("the demo has a VI line");
    for (i, (barcode, net, moisture)) in DEMO_UNTRACED_BALES.iter().enumerate() {
        let event = ProcessingEvent::BalePressed {
            barcode: barcode.to_string(),
            net_kg: net.parse().expect("a demo weight"),
            moisture_pct: Some(moisture.parse().expect("a demo moisture")),
            card_no: None,
        };
        let pressed_at = now - chrono::Duration::minutes(3 - i as i64);
        cotton_service::processing::run_online(state, &vi, event, pressed_at).await?;
    }
    cotton_service::processing::set_verifier(state, &qts, DEMO_VERIFIER.0, DEMO_VERIFIER.1).await
}
