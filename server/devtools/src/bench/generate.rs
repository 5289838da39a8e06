//! `cotton-trace bench generate`: a synthetic season through the production code.
//!
//! Orgs (`create_org_tx`), accounts (`NewAccount`, as `serve --demo`), rosters
//! (an xlsx per company through `rosters::import::import`), units
//! (`units::service::create` + `review`), tickets (`tickets::upload`), cards
//! (`cards::print` through a printer plugin), lines (`lines::create`), bales
//! (signed IV/V upload files written by the collector plugin, replayed by
//! `processing::upload_file`), inspections (CSV through `quality::import`).

use cotton_service::accounts::CreateAccount as _;
use cotton_service::ids::{LineId, TicketId, UnitId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use cotton_service::domain::line::{CardBook, CardProgress, Conditioning, LineState};
use cotton_service::domain::orgs::{OrgKind, Role};
use cotton_service::domain::processing::{CollectorModel, ProcessingEvent, ProcessingRecord, RecordUpload};
use cotton_service::domain::units::UnitKind;
use futures_util::{StreamExt, stream};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::app;
use super::plan::{self, BALES_PER_FILE, FILE_RESERVE_PCT, Plan, VI_RESERVE_PCT, stream as st};
use super::progress::{Phase, PhaseFigure};
use cotton_service::accounts::NewAccount;
use cotton_service::accounts::import::ImportRowStatus;
use cotton_service::auth::{Principal, TokenKeys};
use cotton_service::cards::CardRow;
use crate::Host;
use cotton_service::db::DbPool;
use cotton_service::lines::LineRow;
use cotton_service::state::AppState;
use cotton_service::units::service::NewUnit;

pub const BENCH_PASSWORD: &str = "Bench@2026";
pub const ADMIN_USERNAME: &str = "bench_admin";
const MAX_SAMPLES: usize = 2_000;
const MAX_WRITE_CANDIDATES: usize = 2_000;

pub struct Options {
    pub scale: f64,
    pub seed: u64,
    pub season: Option<i32>,
    pub out: PathBuf,
    pub token_ttl_hours: u64,
    pub jobs: Option<usize>,
}

pub const MY_RESULTS_QUERY: &str = "query($s: Int) { myResults(season: $s) { units { id code status } tickets { ticketNo netKg late card { cardNo status processedLintKg bales { barcode conditionedKg inspection { lengthMm strength micronaire premium } } } } premiumShares { unit { id } seedKg shareKg } } }";
pub const TRACE_CARD_QUERY: &str = "query($c: String!) { traceCard(cardNo: $c) { cardNo status targetLintKg processedLintKg processableBales traceUnit { code } } }";
pub const UPLOAD_TICKET: &str = "mutation($input: TicketInput!) { uploadTicket(input: $input) { id ticketNo late } }";
pub const SCAN_CARDS: &str = "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { cardNo outcome message } }";
pub const ENTER_DELAY: &str = "mutation($l: ID!, $c: String!, $n: Int!) { enterDelayBales(lineId: $l, cardNo: $c, count: $n) { tracing } }";
pub const RECORD_BALE: &str = "mutation($l: ID!, $b: String!, $n: Decimal!, $m: Decimal, $t: DateTime!) { recordBale(lineId: $l, barcode: $b, netKg: $n, moisturePct: $m, pressedAt: $t) { bale { barcode traced } finishedCard { cardNo } } }";
pub const UPLOAD_FILE: &str = "mutation($l: ID!, $file: Upload!) { uploadProcessingFile(lineId: $l, file: $file) { accepted duplicates rejected errors } }";
pub const PREMIUM_ALLOCATION: &str = "query($u: ID!) { premiumAllocation(unitId: $u) { premiumKg totalSeedKg shares { grower { id } seedKg shareKg } } }";
pub const EVENTS_SUBSCRIPTION: &str = "subscription($t: [EventTopic!]) { events(topics: $t) { topic ticketNo enterpriseId regionId at } }";

/// What the generator keeps of each enterprise.
struct Ent {
    index: usize,
    org_id: i64,
    code: String,
    username: String,
    regiment_org: i64,
    principal: Principal,
    /// (ticket id, grower index) in upload order.
    tickets: Vec<(i64, usize)>,
    /// Cards in print order.
    cards: Vec<CardRow>,
    /// IV, V (season + file reserve) and two VI lines.
    offline: Vec<LineRow>,
    vi: Vec<LineRow>,
    /// Per offline line: bales the generator pressed on it during the season.
    pressed: Vec<(i64, u64)>,
}

struct GrowerRef {
    db_id: i64,
    plot_ids: Vec<i64>,
}

pub async fn run(host: &dyn Host, opts: Options) -> anyhow::Result<()> {
    if !(opts.scale > 0.0 && opts.scale <= 2.0) {
        anyhow::bail!("--scale 须在 0 到 2 之间（1.0 = 兵团一个完整年度）");
    }
    if !(1..=72).contains(&opts.token_ttl_hours) {
        anyhow::bail!("--token-ttl-hours 须在 1 到 72 之间");
    }
    let started = Instant::now();
    let db = host.open_database().await?;
    refuse_non_empty(&db).await?;
    let backend = db.backend_name();
    let jobs = opts.jobs.unwrap_or(if backend == "postgres" { 4 } else { 1 }).max(1);
    let state = host.build_state(db).await?;
    let season = opts.season.unwrap_or_else(cotton_service::season::current_season);
    let plan = Plan::new(opts.scale, opts.seed, season);
    println!(
        "bench generate: scale {} seed {} season {season} on {backend}: {} divisions, {} regiments, {} companies, {} enterprises, {} growers (jobs {jobs})",
        opts.scale, opts.seed, plan.divisions, plan.regiments, plan.companies, plan.enterprises, plan.growers
    );
    let printer = ["ZPL", "TSPL", "PDF"]
        .into_iter()
        .find(|m| state.plugins.require_printer(m).is_ok())
        .ok_or_else(|| anyhow::anyhow!("没有加载任何打印机插件（--plugins-dir / COTTON_PLUGINS_DIR），无法打印追溯卡"))?;
    for model in [CollectorModel::Iv, CollectorModel::V] {
        state.plugins.require_collector(model).map_err(|e| anyhow::anyhow!("采集器插件缺失：{e:?}"))?;
    }
    let files_dir = files_dir_of(&opts.out);
    if files_dir.exists() {
        std::fs::remove_dir_all(&files_dir)?;
    }
    std::fs::create_dir_all(&files_dir)?;
    let mut phases: Vec<PhaseFigure> = Vec::new();
    let g = Gen { state: state.clone(), plan: plan.clone(), jobs, printer };

    // ---- orgs
    let phase = Phase::start("orgs", (1 + plan.divisions + plan.regiments + plan.companies + plan.enterprises) as u64);
    let tree = g.orgs(&phase).await?;
    phases.push(phase.finish());

    // ---- accounts
    let phase = Phase::start("accounts", (1 + plan.regiments + plan.companies + plan.enterprises) as u64);
    let accts = g.accounts(&tree, &phase).await?;
    phases.push(phase.finish());

    // ---- rosters
    let phase = Phase::start("rosters", (plan.growers * plan::PLOTS_PER_GROWER) as u64);
    let growers = g.rosters(&tree, &phase).await?;
    phases.push(phase.finish());

    // ---- units
    let n_units: usize = (0..plan.companies).map(|c| plan.units_of_company(c).len()).sum();
    let phase = Phase::start("units", n_units as u64);
    let unit_ids = g.units(&accts, &growers, &phase).await?;
    phases.push(phase.finish());

    // ---- tickets
    let mut ents: Vec<Ent> = accts
        .enterprises
        .iter()
        .enumerate()
        .map(|(i, (p, username))| Ent {
            index: i,
            org_id: tree.enterprises[i].0,
            code: tree.enterprises[i].1.clone(),
            username: username.clone(),
            regiment_org: tree.regiments[plan.regiment_of_enterprise(i)],
            principal: p.clone(),
            tickets: Vec::new(),
            cards: Vec::new(),
            offline: Vec::new(),
            vi: Vec::new(),
            pressed: Vec::new(),
        })
        .collect();
    let n_tickets: usize = (0..plan.growers).map(|x| plan.tickets_of_grower(x)).sum();
    let ctx = Ctx {
        growers: Arc::new(growers),
        files_dir: files_dir.clone(),
        reserve_files: Arc::new(std::sync::Mutex::new(Vec::new())),
    };
    let phase = Phase::start("tickets", n_tickets as u64);
    ents = g.each_enterprise(ents, &phase, Step::Tickets, &ctx).await?;
    phases.push(phase.finish());

    // ---- cards
    let phase = Phase::start("cards", n_tickets as u64);
    ents = g.each_enterprise(ents, &phase, Step::Cards, &ctx).await?;
    phases.push(phase.finish());

    // ---- lines
    let phase = Phase::start("lines", (plan.enterprises * 4) as u64);
    ents = g.each_enterprise(ents, &phase, Step::Lines, &ctx).await?;
    phases.push(phase.finish());

    // ---- uploads (the season's bales) and the reserve files
    let est_bales: u64 = ents.iter().flat_map(|e| e.cards.iter()).map(|c| c.processable_bales as u64).sum();
    let phase = Phase::start("uploads", est_bales * (100 - (VI_RESERVE_PCT + FILE_RESERVE_PCT)) as u64 / 100);
    ents = g.each_enterprise(ents, &phase, Step::Uploads, &ctx).await?;
    phases.push(phase.finish());

    // ---- inspections
    let n_bales: u64 = ents.iter().flat_map(|e| e.pressed.iter()).map(|(_, n)| *n).sum();
    let phase = Phase::start("inspections", n_bales);
    ents = g.each_enterprise(ents, &phase, Step::Inspections, &ctx).await?;
    phases.push(phase.finish());
    // What the server does after an inspection import (quality::import_inspections):
    // the growers' results pages and units' allocations are computed and kept,
    // so growers signing in after the results are published find them ready.
    let phase = Phase::start("results pages", 1);
    let kept = cotton_service::quality::results::refresh_stale(&state.db).await.map_err(app)?;
    phase.add(1);
    phases.push(phase.finish());
    tracing::info!(kept, "results pages kept");
    let growers = ctx.growers.clone();
    let reserve_files = ctx.reserve_files.clone();

    // A bulk load leaves the planner's statistics stale until autovacuum comes by;
    // analyse now, as an operator would after a load (allocation plans depend on it).
    {
        let mut conn = state.db.write().await.map_err(app)?;
        cotton_service::db::stats::analyze(&mut conn).await.map_err(app)?;
    }

    // ---- tokens and samples
    let phase = Phase::start("tokens", (MAX_SAMPLES + plan.enterprises + 2) as u64);
    let mut keys = state.keys.clone();
    keys.access_ttl = std::time::Duration::from_secs(opts.token_ttl_hours * 3600);
    let tokens_expire = Utc::now() + chrono::Duration::hours(opts.token_ttl_hours as i64);
    let manifest_parts = g.samples(&keys, &accts, &ents, &growers, &unit_ids, &phase).await?;
    phases.push(phase.finish());

    let mut reserve_files = std::mem::take(&mut *reserve_files.lock().expect("not poisoned"));
    reserve_files.sort_by_key(|f| (f["lineId"].as_str().unwrap_or("").parse::<i64>().unwrap_or(0), f["order"].as_i64().unwrap_or(0)));
    let counts = g.counts(&ents, reserve_files.len()).await?;
    let total = started.elapsed().as_secs_f64();
    let mut manifest = json!({
        "version": 1,
        "scale": opts.scale,
        "seed": opts.seed,
        "backend": backend,
        "season": season,
        "generatedAt": Utc::now().to_rfc3339(),
        "tokensExpireAt": tokens_expire.to_rfc3339(),
        "password": BENCH_PASSWORD,
        "ratios": plan.ratios_json(),
        "counts": counts,
        "phases": phases,
        "totalSeconds": (total * 1000.0).round() / 1000.0,
        "processingFiles": { "mutation": UPLOAD_FILE, "files": reserve_files },
    });
    if let (Value::Object(m), Value::Object(parts)) = (&mut manifest, manifest_parts) {
        m.extend(parts);
    }
    std::fs::write(&opts.out, serde_json::to_string_pretty(&manifest)?)?;
    println!("bench generate: done in {total:.1} s; counts {}", manifest["counts"]);
    println!("wrote {} (upload files in {})", opts.out.display(), files_dir.display());
    Ok(())
}

pub fn files_dir_of(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "manifest".into());
    out.with_file_name(format!("{stem}-files"))
}

/// "Empty": no orgs and no accounts but platform admins (`admin create` may have run).
async fn refuse_non_empty(db: &DbPool) -> anyhow::Result<()> {
    let mut conn = db.read().await.map_err(app)?;
    let (n_orgs, n_accounts, n_growers) = cotton_service::db::stats::occupancy(&mut conn).await.map_err(app)?;
    if n_orgs > 0 || n_accounts > 0 || n_growers > 0 {
        anyhow::bail!(
            "数据库不是空的（已有 {n_orgs} 个机构、{n_accounts} 个非管理员账号、{n_growers} 个种植者）：bench generate 只在空数据库上生成模拟年度，请换一个新数据库"
        );
    }
    Ok(())
}

struct Tree {
    regiments: Vec<i64>,
    companies: Vec<(i64, cotton_service::orgs::OrgRow)>,
    enterprises: Vec<(i64, String)>,
}

struct Accounts {
    admin: Principal,
    regiments: Vec<(Principal, String)>,
    companies: Vec<Principal>,
    enterprises: Vec<(Principal, String)>,
}

#[derive(Clone)]
struct Gen {
    state: AppState,
    plan: Plan,
    jobs: usize,
    printer: &'static str,
}

#[derive(Clone, Copy)]
enum Step {
    Tickets,
    Cards,
    Lines,
    Uploads,
    Inspections,
}

struct Ctx {
    growers: Arc<Vec<GrowerRef>>,
    files_dir: PathBuf,
    reserve_files: Arc<std::sync::Mutex<Vec<Value>>>,
}

impl Gen {
    /// Runs `step` for every enterprise, `jobs` at a time; keeps the enterprise order.
    async fn each_enterprise(&self, ents: Vec<Ent>, phase: &Phase, step: Step, ctx: &Ctx) -> anyhow::Result<Vec<Ent>> {
        let mut out: Vec<Ent> = stream::iter(ents.into_iter().map(|e| self.step(step, e, phase, ctx)))
            .buffer_unordered(self.jobs)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<Ent>>>()?;
        out.sort_by_key(|e| e.index);
        Ok(out)
    }

    async fn step(&self, step: Step, ent: Ent, phase: &Phase, ctx: &Ctx) -> anyhow::Result<Ent> {
        match step {
            Step::Tickets => self.tickets(ent, &ctx.growers, phase).await,
            Step::Cards => self.cards(ent, phase).await,
            Step::Lines => self.lines(ent, phase).await,
            Step::Uploads => self.uploads(ent, phase, &ctx.files_dir, &ctx.reserve_files).await,
            Step::Inspections => self.inspections(ent, phase).await,
        }
    }

    async fn orgs(&self, phase: &Phase) -> anyhow::Result<Tree> {
        let plan = &self.plan;
        let mut conn = self.state.db.write().await.map_err(app)?;
        let create = async |conn: &mut cotton_service::db::DbConn, kind: OrgKind, code: &str, name: &str, parent: Option<i64>, regiment: Option<i64>| {
            let mut tx = cotton_service::tx::Tx::begin(&self.state, conn).await.map_err(app)?;
            let created = cotton_service::orgs::create(&mut tx, kind, code, name, parent, regiment).await;
            let row = tx.finish(created).await.map_err(app)?;
            phase.add(1);
            Ok::<_, anyhow::Error>(row)
        };
        let corps = create(&mut conn, OrgKind::Corps, "XJBT", "新疆生产建设兵团", None, None).await?;
        let mut divisions = Vec::new();
        for d in 0..plan.divisions {
            let row = create(&mut conn, OrgKind::Division, &format!("XJBT-{:02}", d + 1), &format!("第{}师", d + 1), Some(corps.id), None).await?;
            divisions.push(row);
        }
        let mut regiments = Vec::new();
        let mut regiment_codes = Vec::new();
        for r in 0..plan.regiments {
            let d = plan.division_of_regiment(r);
            let code = format!("{}-{:02}", divisions[d].code, r / plan.divisions + 1);
            let row = create(&mut conn, OrgKind::Regiment, &code, &format!("第{}师{}团", d + 1, r / plan.divisions + 1), Some(divisions[d].id), None).await?;
            regiments.push(row.id);
            regiment_codes.push(code);
        }
        let mut companies = Vec::new();
        for c in 0..plan.companies {
            let r = plan.regiment_of_company(c);
            let k = c / plan.regiments + 1;
            let code = format!("{}-{k:03}", regiment_codes[r]);
            let row = create(&mut conn, OrgKind::Company, &code, &format!("{}团{k}连", r + 1), Some(regiments[r]), Some(regiments[r])).await?;
            companies.push((row.id, row));
        }
        let mut enterprises = Vec::new();
        for e in 0..plan.enterprises {
            let r = plan.regiment_of_enterprise(e);
            let code = format!("{}", 65001 + e);
            let row = create(&mut conn, OrgKind::Enterprise, &code, &format!("第{}号棉花加工厂", e + 1), Some(regiments[r]), Some(regiments[r])).await?;
            enterprises.push((row.id, code));
        }
        Ok(Tree { regiments, companies, enterprises })
    }

    async fn accounts(&self, tree: &Tree, phase: &Phase) -> anyhow::Result<Accounts> {
        // One Argon2id hash for every generated account (same password): hashing is
        // deliberately slow, and a benchmark season has thousands of accounts.
        let hash = cotton_service::auth::hash_password(BENCH_PASSWORD.to_string()).await.map_err(app)?;
        let mut conn = self.state.db.write().await.map_err(app)?;
        let now = Utc::now().naive_utc();
        let make = async |conn: &mut cotton_service::db::DbConn, username: &str, role: Role, org: Option<i64>, display: &str| {
            let account = NewAccount { username, password_hash: &hash, role: role.as_str(), org_id: org, phone: None, display_name: Some(display), created_at: now }
                .create(conn)
                .await
                .map_err(app)?;
            phase.add(1);
            cotton_service::accounts::principal_of(conn, &account).await.map_err(app)
        };
        let admin = match cotton_service::accounts::find_by_username(&mut conn, ADMIN_USERNAME).await.map_err(app)? {
            Some(a) => cotton_service::accounts::principal_of(&mut conn, &a).await.map_err(app)?,
            None => make(&mut conn, ADMIN_USERNAME, Role::PlatformAdmin, None, "平台管理员").await?,
        };
        let mut regiments = Vec::new();
        for (r, id) in tree.regiments.iter().enumerate() {
            let name = format!("tuan{:02}", r + 1);
            regiments.push((make(&mut conn, &name, Role::Regiment, Some(*id), "团级单位").await?, name));
        }
        let mut companies = Vec::new();
        for (c, (id, _)) in tree.companies.iter().enumerate() {
            companies.push(make(&mut conn, &format!("lian{:04}", c + 1), Role::Company, Some(*id), "连级单位").await?);
        }
        let mut enterprises = Vec::new();
        for (id, code) in &tree.enterprises {
            let name = format!("qts{code}");
            enterprises.push((make(&mut conn, &name, Role::Enterprise, Some(*id), "加工企业").await?, name));
        }
        Ok(Accounts { admin, regiments, companies, enterprises })
    }

    /// One roster workbook per company (xlsx, the import's header), through the import service.
    async fn rosters(&self, tree: &Tree, phase: &Phase) -> anyhow::Result<Vec<GrowerRef>> {
        let plan = self.plan.clone();
        let mut refs: Vec<Option<GrowerRef>> = (0..plan.growers).map(|_| None).collect();
        let results: Vec<anyhow::Result<Vec<(usize, GrowerRef)>>> = stream::iter((0..plan.companies).map(|c| {
            let plan = plan.clone();
            let company = tree.companies[c].1.clone();
            let state = self.state.clone();
            async move {
                let bytes = roster_xlsx(&plan, c)?;
                let rows = cotton_service::files::read_xlsx(bytes, &cotton_service::rosters::import::ROSTER_HEADER).map_err(app)?;
                let report = cotton_service::rosters::import::import(&state, &company, plan.season, &rows).await.map_err(app)?;
                if report.failed > 0 || report.created as usize != rows.len() {
                    anyhow::bail!("名册导入失败（{}）：{:?}", company.code, report.rows.iter().find(|r| r.status == ImportRowStatus::Failed));
                }
                phase.add(rows.len() as u64);
                let mut conn = state.db.read().await.map_err(app)?;
                let plots = cotton_service::rosters::plots_by_company_season(&mut conn, company.id, plan.season).await.map_err(app)?;
                let mut by_grower: HashMap<usize, GrowerRef> = HashMap::new();
                for p in plots {
                    let g = plan::grower_of_plot_code(&p.code).ok_or_else(|| anyhow::anyhow!("plot code {}", p.code))?;
                    by_grower.entry(g).or_insert(GrowerRef { db_id: p.grower_id, plot_ids: Vec::new() }).plot_ids.push(p.id);
                }
                Ok(by_grower.into_iter().collect())
            }
        }))
        .buffer_unordered(self.jobs)
        .collect()
        .await;
        for r in results {
            for (g, gr) in r? {
                refs[g] = Some(gr);
            }
        }
        refs.into_iter()
            .enumerate()
            .map(|(g, r)| r.ok_or_else(|| anyhow::anyhow!("grower {g} missing after roster import")))
            .map(|r| r.map(|mut gr| { gr.plot_ids.sort_unstable(); gr }))
            .collect()
    }

    /// COMPANY units of ~10 growers, created by the company and approved by its regiment.
    async fn units(&self, accts: &Accounts, growers: &[GrowerRef], phase: &Phase) -> anyhow::Result<Vec<Vec<i64>>> {
        let plan = self.plan.clone();
        let results: Vec<anyhow::Result<(usize, Vec<i64>)>> = stream::iter((0..plan.companies).map(|c| {
            let plan = plan.clone();
            let state = self.state.clone();
            let company = accts.companies[c].clone();
            let regiment = accts.regiments[plan.regiment_of_company(c)].0.clone();
            async move {
                let mut ids = Vec::new();
                for (k, group) in plan.units_of_company(c).into_iter().enumerate() {
                    let plot_ids: Vec<i64> = group.clone().flat_map(|g| growers[g].plot_ids.iter().copied()).collect();
                    let input = NewUnit {
                        kind: UnitKind::Company,
                        name: format!("{}连第{}追溯单元", c + 1, k + 1),
                        season: plan.season,
                        region_id: None,
                        legal_person: None,
                        plot_ids,
                    };
                    let unit = cotton_service::units::service::create(&state, &company, input).await.map_err(app)?;
                    cotton_service::units::service::review(&state, &regiment, UnitId::from(unit.id), true, Some("名册与地块核对无误".into())).await.map_err(app)?;
                    phase.add(1);
                    ids.push(unit.id);
                }
                Ok((c, ids))
            }
        }))
        .buffer_unordered(self.jobs)
        .collect()
        .await;
        let mut out = vec![Vec::new(); plan.companies];
        for r in results {
            let (c, ids) = r?;
            out[c] = ids;
        }
        Ok(out)
    }

    fn ticket_upload(&self, g: usize, t: usize, gr: &GrowerRef, weighed_at: DateTime<Utc>) -> cotton_service::tickets::TicketUpload {
        let p = &self.plan;
        let i = (g * 8 + t) as u64;
        cotton_service::tickets::TicketUpload {
            ticket_no: plan::ticket_no(g, t),
            season: p.season,
            grower_id_number: plan::id_number(g),
            plot_ids: vec![gr.plot_ids[t % gr.plot_ids.len()]],
            gross_kg: p.dec(st::GROSS, i, 11_000, 2_000, 1),
            tare_kg: Some(p.dec(st::TARE, i, 1_800, 400, 1)),
            moisture_pct: Some(p.dec(st::MOISTURE, i, 7, 2, 2) + Decimal::new(50, 2)),
            trash_pct: None,
            lint_yield_pct: Some(p.dec(st::YIELD, i, 38, 3, 2) + Decimal::new(50, 2)),
            module_count: Some(4 + (p.rand(st::MODULES, i) % 2) as i32),
            weighed_at,
        }
    }

    async fn tickets(&self, mut ent: Ent, growers: &[GrowerRef], phase: &Phase) -> anyhow::Result<Ent> {
        for g in (0..self.plan.growers).filter(|g| self.plan.enterprise_of_grower(*g) == ent.index) {
            for t in 0..self.plan.tickets_of_grower(g) {
                // Weighed a minute ago, uploaded now: in the real-time window.
                let up = self.ticket_upload(g, t, &growers[g], Utc::now() - chrono::Duration::minutes(1));
                let row = cotton_service::tickets::upload(&self.state, &ent.principal, up).await.map_err(app)?;
                ent.tickets.push((row.id, g));
                phase.add(1);
            }
        }
        Ok(ent)
    }

    async fn cards(&self, mut ent: Ent, phase: &Phase) -> anyhow::Result<Ent> {
        for (ticket_id, g) in &ent.tickets {
            let modules = 4 + (self.plan.rand(st::MODULES, *g as u64) % 2) as i32;
            let (card, _, _) = cotton_service::cards::print(&self.state, &ent.principal, TicketId::from(*ticket_id), "ROUND_MODULE", modules, 1, Some(self.printer))
                .await
                .map_err(app)?;
            ent.cards.push(card);
            phase.add(1);
        }
        Ok(ent)
    }

    async fn lines(&self, mut ent: Ent, phase: &Phase) -> anyhow::Result<Ent> {
        for (name, model) in [("一号线", CollectorModel::Iv), ("二号线", CollectorModel::V)] {
            ent.offline.push(cotton_service::lines::create(&self.state, &ent.principal, name, model).await.map_err(app)?);
            phase.add(1);
        }
        for name in ["六号线", "七号线"] {
            ent.vi.push(cotton_service::lines::create(&self.state, &ent.principal, name, CollectorModel::Vi).await.map_err(app)?);
            phase.add(1);
        }
        Ok(ent)
    }

    /// Cards of the season (uploaded now), of the file reserve and of the VI reserve.
    fn split(&self, ent: &Ent) -> (usize, usize) {
        let n = ent.cards.len();
        let vi = n * VI_RESERVE_PCT / 100;
        let files = n * FILE_RESERVE_PCT / 100;
        (n - vi - files, n - vi)
    }

    async fn uploads(
        &self,
        mut ent: Ent,
        phase: &Phase,
        files_dir: &Path,
        reserve_files: &std::sync::Mutex<Vec<Value>>,
    ) -> anyhow::Result<Ent> {
        let (season_end, files_end) = self.split(&ent);
        let rules = {
            let mut conn = self.state.db.read().await.map_err(app)?;
            cotton_service::season::rules_for(&mut conn, self.plan.season).await.map_err(app)?
        };
        let cond = Conditioning { standard_moisture_pct: rules.standard_moisture_pct, standard_trash_pct: rules.standard_trash_pct };
        let lines = ent.offline.clone();
        for (li, line) in lines.iter().enumerate() {
            let mut sim = Device::new(&self.plan, line, cond, ent.code.clone());
            let of_line = |r: std::ops::Range<usize>| -> Vec<CardRow> {
                ent.cards[r].iter().enumerate().filter(|(i, _)| i % lines.len() == li).map(|(_, c)| c.clone()).collect()
            };
            // The season so far: shift files uploaded as the enterprise would.
            for records in sim.run(&of_line(0..season_end)) {
                let bales = records.iter().filter(|r| matches!(r.event, ProcessingEvent::BalePressed { .. })).count();
                let bytes = self.sign(line, records)?;
                let summary = cotton_service::processing::upload_file(&self.state, &ent.principal, LineId::from(line.id), &bytes).await.map_err(app)?;
                if summary.rejected > 0 || summary.duplicates > 0 {
                    anyhow::bail!("加工数据文件被拒绝（生产线 {}）：{:?}", line.id, summary.errors.first());
                }
                phase.add(bales as u64);
            }
            ent.pressed.push((line.id, sim.bale_serial));
            // The file reserve: written, signed, not uploaded.
            let reserved = of_line(season_end..files_end);
            for (order, records) in sim.run(&reserved).into_iter().enumerate() {
                let bales = records.iter().filter(|r| matches!(r.event, ProcessingEvent::BalePressed { .. })).count();
                let cards: std::collections::BTreeSet<String> = records
                    .iter()
                    .filter_map(|r| match &r.event {
                        ProcessingEvent::Scan { card_nos } => Some(card_nos.clone()),
                        ProcessingEvent::DelayEntered { card_no, .. } => Some(vec![card_no.clone()]),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                let n_records = records.len();
                let bytes = self.sign(line, records)?;
                let path = files_dir.join(format!("line{}-r{order:03}.dat", line.id));
                std::fs::write(&path, &bytes)?;
                let path = std::fs::canonicalize(&path)?;
                reserve_files.lock().expect("not poisoned").push(json!({
                    "enterpriseIndex": ent.index,
                    "lineId": line.id.to_string(),
                    "model": line.collector_model,
                    "order": order,
                    "path": path.to_string_lossy(),
                    "records": n_records,
                    "bales": bales,
                    "cards": cards.len(),
                }));
            }
        }
        Ok(ent)
    }

    fn sign(&self, line: &LineRow, records: Vec<ProcessingRecord>) -> anyhow::Result<Vec<u8>> {
        let collector = self.state.plugins.require_collector(line.model()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let upload = RecordUpload {
            line_id: line.line_ref(),
            model: line.model(),
            device_id: format!("SN-BENCH-{}", line.id),
            written_at: Utc::now(),
            records,
        };
        let key = cotton_service::lines::signing_key(&line).map_err(app)?;
        Ok(collector.upload_file(&upload, &key).map_err(|e| anyhow::anyhow!("{e:?}"))?.bytes)
    }

    /// The inspection results of the enterprise's pressed bales, as CSV files of
    /// 5,000 rows, each imported in one transaction.
    async fn inspections(&self, ent: Ent, phase: &Phase) -> anyhow::Result<Ent> {
        let code = ent.code.clone();
        let barcodes: Vec<String> =
            ent.pressed.iter().flat_map(|(line, n)| (0..*n).map(|i| bale_barcode(&code, *line, i)).collect::<Vec<_>>()).collect();
        for chunk in barcodes.chunks(5_000) {
            let mut csv = String::from("条码,颜色级,长度,强度,马克隆值,整齐度,含杂率,回潮率,公定重量\n");
            for b in chunk {
                csv.push_str(&self.inspection_line(b));
            }
            let rows = cotton_service::files::read_table(csv.into_bytes(), &cotton_service::quality::INSPECTION_HEADER).map_err(app)?;
            let mut conn = self.state.db.write().await.map_err(app)?;
            conn.begin().await.map_err(app)?;
            let report = match cotton_service::quality::import(&mut conn, &rows).await {
                Ok(r) => r,
                Err(e) => {
                    conn.rollback().await.ok();
                    return Err(app(e));
                }
            };
            conn.commit().await.map_err(app)?;
            if report.created as usize != rows.len() {
                anyhow::bail!("公检数据导入失败：{:?}", report.rows.iter().find(|r| r.status != ImportRowStatus::Created));
            }
            phase.add(rows.len() as u64);
        }
        Ok(ent)
    }

    fn inspection_line(&self, barcode: &str) -> String {
        let p = &self.plan;
        let i = barcode.bytes().fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(b as u64));
        let colors = ["11", "21", "31", "21", "31", "41"];
        format!(
            "{barcode},{},{},{},{},{},{},{},\n",
            colors[(p.rand(st::COLOR, i) % colors.len() as u64) as usize],
            p.dec(st::LENGTH, i, 27, 4, 1) + Decimal::new(5, 1),
            p.dec(st::STRENGTH, i, 27, 4, 1) + Decimal::new(5, 1),
            p.dec(st::MIC, i, 3, 2, 1) + Decimal::new(5, 1),
            p.dec(st::UNIFORMITY, i, 82, 4, 1),
            p.dec(st::TRASH, i, 1, 2, 1) + Decimal::new(5, 1),
            p.dec(st::INSP_MOISTURE, i, 6, 2, 1) + Decimal::new(5, 1),
        )
    }

    #[allow(clippy::too_many_arguments)]
    async fn samples(
        &self,
        keys: &TokenKeys,
        accts: &Accounts,
        ents: &[Ent],
        growers: &[GrowerRef],
        unit_ids: &[Vec<i64>],
        phase: &Phase,
    ) -> anyhow::Result<Value> {
        let now = Utc::now();
        let token = |p: &Principal| keys.issue_access(p, now).map(|(t, _)| t).map_err(app);
        let plan = &self.plan;
        // Growers: every k-th, with a GROWER account as growerLogin would create it.
        let step = (plan.growers / MAX_SAMPLES).max(1);
        let sampled: Vec<usize> = (0..plan.growers).step_by(step).take(MAX_SAMPLES).collect();
        let hash = cotton_service::auth::hash_password(cotton_service::auth::random_token(32)).await.map_err(app)?;
        let mut grower_samples = Vec::new();
        {
            let mut conn = self.state.db.write().await.map_err(app)?;
            conn.begin().await.map_err(app)?;
            for g in &sampled {
                let ph = plan::phone(*g);
                let username = format!("grower_{ph}");
                let account = NewAccount {
                    username: &username,
                    password_hash: &hash,
                    role: Role::Grower.as_str(),
                    org_id: None,
                    phone: Some(&ph),
                    display_name: None,
                    created_at: now.naive_utc(),
                }
                .create(&mut conn)
                .await
                .map_err(app)?;
                let p = cotton_service::accounts::principal_of(&mut conn, &account).await.map_err(app)?;
                grower_samples.push(json!({ "growerId": growers[*g].db_id.to_string(), "phone": ph, "token": token(&p)? }));
                phase.add(1);
            }
            conn.commit().await.map_err(app)?;
        }
        let enterprises: Vec<Value> = ents
            .iter()
            .map(|e| {
                phase.add(1);
                Ok(json!({
                    "index": e.index,
                    "orgId": e.org_id.to_string(),
                    "code": e.code,
                    "username": e.username,
                    "regimentOrgId": e.regiment_org.to_string(),
                    "token": token(&e.principal)?,
                }))
            })
            .collect::<anyhow::Result<_>>()?;
        // traceCard: cards the season processed, spread over the enterprises.
        let processed: Vec<(usize, &CardRow)> =
            ents.iter().flat_map(|e| e.cards[..self.split(e).0].iter().map(move |c| (e.index, c))).collect();
        let cstep = (processed.len() / MAX_SAMPLES).max(1);
        let card_samples: Vec<Value> = processed
            .iter()
            .step_by(cstep)
            .take(MAX_SAMPLES)
            .map(|(i, c)| json!({ "enterpriseIndex": i, "cardNo": c.card_no }))
            .collect();
        // Write candidates: growers of approved units, any number of new tickets each.
        let wstep = (plan.growers / MAX_WRITE_CANDIDATES).max(1);
        let candidate = |g: usize, prefix: &str| {
            let up = self.ticket_upload(g, 0, &growers[g], now);
            json!({ "input": {
                "ticketNo": format!("{prefix}-{g}"),
                "season": up.season,
                "growerIdNumber": up.grower_id_number,
                "plotIds": up.plot_ids.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "grossKg": up.gross_kg.to_string(),
                "tareKg": up.tare_kg.map(|d| d.to_string()),
                "moisturePct": up.moisture_pct.map(|d| d.to_string()),
                "lintYieldPct": up.lint_yield_pct.map(|d| d.to_string()),
                "moduleCount": up.module_count,
                "weighedAt": now.to_rfc3339(),
            }})
        };
        let candidates: Vec<Value> = (0..plan.growers)
            .step_by(wstep)
            .take(MAX_WRITE_CANDIDATES)
            .map(|g| json!({ "enterpriseIndex": plan.enterprise_of_grower(g), "variables": candidate(g, "BW") }))
            .collect();
        // VI reserve: per VI line, its cards.
        let mut vi_lines = Vec::new();
        for e in ents {
            let reserve = &e.cards[self.split(e).1..];
            for (li, line) in e.vi.iter().enumerate() {
                let cards: Vec<&CardRow> = reserve.iter().enumerate().filter(|(i, _)| i % e.vi.len() == li).map(|(_, c)| c).collect();
                if cards.is_empty() {
                    continue;
                }
                vi_lines.push(json!({
                    "enterpriseIndex": e.index,
                    "lineId": line.id.to_string(),
                    "barcodePrefix": format!("VX{}N", line.id),
                    "totalBales": cards.iter().map(|c| c.processable_bales as i64).sum::<i64>(),
                    "cards": cards.iter().map(|c| json!({
                        "cardNo": c.card_no,
                        "targetLintKg": c.target_lint_kg.0.to_string(),
                        "processableBales": c.processable_bales,
                    })).collect::<Vec<_>>(),
                }));
            }
        }
        let regiment = &accts.regiments[0];
        let regiment_token = token(&regiment.0)?;
        let admin_token = token(&accts.admin)?;
        phase.add(2);
        // Fan-out trigger: a grower of regiment 0 delivering to its gin.
        let g0 = (0..plan.growers).find(|g| plan.regiment_of_company(plan.company_of_grower(*g)) == 0).unwrap_or(0);
        let e0 = plan.enterprise_of_grower(g0);
        let sample_units: Vec<String> = (0..plan.companies)
            .filter(|c| plan.regiment_of_company(*c) == 0)
            .flat_map(|c| unit_ids[c].iter().map(|u| u.to_string()))
            .take(100)
            .collect();
        let n_units: usize = unit_ids.iter().map(|u| u.len()).sum();
        Ok(json!({
            "admin": { "username": ADMIN_USERNAME, "token": admin_token },
            "regiment": { "username": regiment.1, "orgId": regiment.0.org_id.map(|i| i.to_string()), "token": regiment_token },
            "enterprises": enterprises,
            "read": {
                "myResults": { "query": MY_RESULTS_QUERY, "variables": { "s": plan.season }, "growers": grower_samples },
                "traceCard": { "query": TRACE_CARD_QUERY, "cards": card_samples },
            },
            "write": { "query": UPLOAD_TICKET, "ticketNoPrefix": "BW", "candidates": candidates },
            "processingVi": {
                "scanCards": SCAN_CARDS,
                "enterDelayBales": ENTER_DELAY,
                "recordBale": RECORD_BALE,
                "maxCardsPerScan": CollectorModel::Vi.max_cards_per_scan(),
                "baleNetKg": "227",
                "baleMoisturePct": rules_moisture(&self.state, plan.season).await?,
                "lines": vi_lines,
            },
            "statistics": {
                "command": format!("cotton-trace bench allocate --season {}", plan.season),
                "units": n_units,
                "premiumAllocation": PREMIUM_ALLOCATION,
                "sampleUnitIds": sample_units,
            },
            "fanout": {
                "subscribeToken": regiment_token,
                "subscription": EVENTS_SUBSCRIPTION,
                "variables": { "t": ["TICKET_UPLOADED"] },
                "trigger": {
                    "enterpriseIndex": e0,
                    "token": token(&ents[e0].principal)?,
                    "ticketNoPrefix": "BF",
                    "query": UPLOAD_TICKET,
                    "variables": candidate(g0, "BF"),
                },
            },
        }))
    }

    async fn counts(&self, ents: &[Ent], upload_files: usize) -> anyhow::Result<Value> {
        let mut conn = self.state.db.read().await.map_err(app)?;
        let n = cotton_service::db::stats::row_counts(&mut conn).await.map_err(app)?;
        let (mut processed, mut files, mut vi, mut est) = (0usize, 0usize, 0usize, 0i64);
        for e in ents {
            let (s, f) = self.split(e);
            processed += s;
            files += f - s;
            vi += e.cards.len() - f;
            est += e.cards.iter().map(|c| c.processable_bales as i64).sum::<i64>();
        }
        Ok(json!({
            "divisions": n.divisions, "regiments": n.regiments, "companies": n.companies, "enterprises": n.enterprises, "accounts": n.accounts,
            "growers": n.growers, "plots": n.plots, "units": n.units, "tickets": n.tickets, "cards": n.cards,
            "cardsProcessed": processed, "cardsReservedFiles": files, "cardsReservedVi": vi,
            "bales": n.bales, "balesSeasonEstimate": est, "inspections": n.inspections,
            "lines": ents.iter().map(|e| e.offline.len() + e.vi.len()).sum::<usize>(),
            "uploadFiles": upload_files,
        }))
    }
}

async fn rules_moisture(state: &AppState, season: i32) -> anyhow::Result<String> {
    let mut conn = state.db.read().await.map_err(app)?;
    Ok(cotton_service::season::rules_for(&mut conn, season).await.map_err(app)?.standard_moisture_pct.normalize().to_string())
}

fn roster_xlsx(plan: &Plan, c: usize) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in cotton_service::rosters::import::ROSTER_HEADER.iter().enumerate() {
        ws.write_string(0, i as u16, *h)?;
    }
    let mut row = 1u32;
    for g in plan.growers_of_company(c) {
        for p in 0..plan::PLOTS_PER_GROWER {
            let area = plan.dec(st::PLOT_AREA, (g * 4 + p) as u64, 40, 25, 2);
            let cells = [
                plan::grower_name(g),
                plan::id_number(g),
                plan::phone(g),
                plan::plot_code(g, p),
                area.to_string(),
                format!("第{}条田", g % 40 + 1),
                if p == 0 { "新陆早84号" } else { "中棉113" }.to_string(),
            ];
            for (i, v) in cells.iter().enumerate() {
                ws.write_string(row, i as u16, v)?;
            }
            row += 1;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// A bale barcode the generator's devices press: enterprise code, line, serial (digits only;
/// the VI benchmark's prefix `VX…` cannot collide).
pub fn bale_barcode(enterprise_code: &str, line_id: i64, serial: u64) -> String {
    format!("{enterprise_code}{line_id:05}{serial:08}")
}

/// An IV/V device on one line, as the collector client runs it: the domain state
/// machine decides every bale; the records go into shift files.
struct Device<'a> {
    plan: &'a Plan,
    line_id: i64,
    enterprise_code: String,
    cond: Conditioning,
    max_cards: usize,
    state: LineState,
    book: CardBook,
    seq: u64,
    bale_serial: u64,
    clock: DateTime<Utc>,
}

impl<'a> Device<'a> {
    fn new(plan: &'a Plan, line: &LineRow, cond: Conditioning, enterprise_code: String) -> Self {
        Device {
            plan,
            line_id: line.id,
            enterprise_code,
            cond,
            max_cards: line.model().max_cards_per_scan(),
            state: LineState::default(),
            book: CardBook::new(),
            seq: 0,
            bale_serial: 0,
            clock: Utc::now() - chrono::Duration::days(30),
        }
    }

    fn record(&mut self, out: &mut Vec<ProcessingRecord>, event: ProcessingEvent) -> anyhow::Result<()> {
        self.state
            .apply(&mut self.book, &event, &self.cond, self.max_cards)
            .map_err(|e| anyhow::anyhow!("device simulation: {e:?}"))?;
        self.seq += 1;
        self.clock += chrono::Duration::seconds(20);
        out.push(ProcessingRecord { seq: self.seq, at: self.clock, event });
        Ok(())
    }

    /// Processes `cards` to the end; returns the records in files of ~BALES_PER_FILE bales.
    fn run(&mut self, cards: &[CardRow]) -> Vec<Vec<ProcessingRecord>> {
        self.try_run(cards).expect("the generator's device follows the line's rules")
    }

    fn try_run(&mut self, cards: &[CardRow]) -> anyhow::Result<Vec<Vec<ProcessingRecord>>> {
        for c in cards {
            self.book.insert(
                c.card_no.clone(),
                CardProgress::open(c.target_lint_kg.0, c.processed_lint_kg.0),
            );
        }
        let mut files = Vec::new();
        let mut current = Vec::new();
        let mut bales_in_file = 0usize;
        let mut next = 0usize;
        loop {
            if self.state.queue.is_empty() && next == cards.len() {
                break;
            }
            if next < cards.len() && self.state.queue.len() <= 1 {
                if !self.state.tracing && self.state.queue.is_empty() {
                    // Tracing off: the scan asks for the delay count; the operator enters 0.
                    let no = cards[next].card_no.clone();
                    self.record(&mut current, ProcessingEvent::Scan { card_nos: vec![no.clone()] })?;
                    self.record(&mut current, ProcessingEvent::DelayEntered { card_no: no, count: 0 })?;
                    next += 1;
                } else if self.state.tracing {
                    let end = (next + self.max_cards).min(cards.len());
                    let nos: Vec<String> = cards[next..end].iter().map(|c| c.card_no.clone()).collect();
                    self.record(&mut current, ProcessingEvent::Scan { card_nos: nos })?;
                    next = end;
                }
            }
            let i = self.line_id as u64 * 100_000_000 + self.bale_serial;
            let barcode = bale_barcode(&self.enterprise_code, self.line_id, self.bale_serial);
            let net_kg = self.plan.dec(st::BALE_NET, i, 220, 14, 1);
            let moisture = self.plan.dec(st::BALE_MOISTURE, i, 7, 2, 1);
            self.bale_serial += 1;
            self.record(&mut current, ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct: Some(moisture), card_no: None })?;
            bales_in_file += 1;
            if bales_in_file >= BALES_PER_FILE && self.state.queue.len() > 1 {
                files.push(std::mem::take(&mut current));
                bales_in_file = 0;
            }
        }
        if !current.is_empty() {
            files.push(current);
        }
        Ok(files)
    }
}
