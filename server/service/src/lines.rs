//! Production lines and the export of trace cards to their collectors (manual §2.3).
//!
//! Keys: the platform signs export files with its Ed25519 key (generated once and
//! kept in the database, so every instance signs alike; devices get the public key
//! from `platformPublicKey`). Each line has its own Ed25519 key: the device signs
//! its upload files with it and the platform checks them with the line's public
//! half. The line's private key is shown to its enterprise (`deviceKey`) to install
//! on the device.


use chrono::Utc;
use cotton_domain::orgs::validate_name;
use cotton_domain::processing::{CardExport, CollectorModel, ExportedCard, SeasonStandards, VerifierCredential};
use cotton_plugin_host::signing;

use crate::auth::Principal;
use crate::cards::CardRow;
use cotton_store::lines::ProcessableCard;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tx::Tx;

pub use cotton_store::lines::{LineRow, LinesById};

/// The line's device signing key (what its collector signs files with).
pub fn signing_key(line: &LineRow) -> AppResult<signing::SigningKey> {
    signing::signing_key_from_base64(&line.device_key).map_err(|e| AppError::internal(e.0))
}

pub async fn require_own_line(conn: &mut DbConn, me: &Principal, line_id: i64) -> AppResult<LineRow> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let row = cotton_store::lines::find(conn, line_id).await?;
    row.filter(|l| l.enterprise_id == enterprise_id)
        .ok_or_else(|| AppError::NotFound(format!("本企业没有该生产线（编号 {line_id}）")))
}

pub async fn create(state: &AppState, me: &Principal, name: &str, model: CollectorModel) -> AppResult<LineRow> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let name = validate_name(name, "生产线名称")?;
    let key = signing::signing_key_to_base64(&signing::generate_key());
    let mut conn = state.db.write().await?;
    cotton_store::lines::insert(&mut conn, enterprise_id, &name, model.as_str(), &key, Utc::now().naive_utc())
        .await
        .map_err(|e| if e.is_unique_violation() { AppError::Conflict(format!("生产线 {name} 已存在")) } else { e.into() })
}

/// The platform's export-signing key, created on first use and kept in the database.
pub async fn platform_key(conn: &mut DbConn) -> AppResult<signing::SigningKey> {
    let stored = cotton_store::lines::find_platform_key(conn).await?;
    if let Some(s) = stored {
        return signing::signing_key_from_base64(&s).map_err(|e| AppError::internal(e.0));
    }
    let fresh = signing::signing_key_to_base64(&signing::generate_key());
    // Two instances may race to create it: the first insert wins, both read it back.
    let s = cotton_store::lines::ensure_platform_key(conn, &fresh).await?;
    signing::signing_key_from_base64(&s).map_err(|e| AppError::internal(e.0))
}

/// The enterprise's cards a device may still process (printed or exported, not yet
/// processing or finished), as the collector sees them.
pub async fn processable_cards(conn: &mut DbConn, enterprise_id: i64) -> AppResult<Vec<(CardRow, ExportedCard)>> {
    let rows = cotton_store::lines::processable_cards(conn, enterprise_id).await?;
    Ok(rows
        .into_iter()
        .map(|ProcessableCard { card, ticket_no, grower_name, unit_name }| {
            let exported = ExportedCard {
                card_no: card.card_no.clone(),
                ticket_no,
                grower_name,
                unit_id: card.unit_id.to_string(),
                unit_name,
                target_lint_kg: card.target_lint_kg.0,
                processable_bales: card.processable_bales.max(0) as u32,
                module_type: crate::printing::module_type_of(&card),
                module_count: card.module_count.max(0) as u32,
            };
            (card, exported)
        })
        .collect())
}

pub struct Export {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    pub card_count: usize,
}

/// Exports every not-yet-processed card of the enterprise to the line's collector
/// format (IV, V), signed by the platform; the cards become EXPORTED.
pub async fn export(state: &AppState, me: &Principal, line_id: crate::ids::LineId) -> AppResult<Export> {
    let line_id = crate::ids::TypedId::get(line_id);
    let mut conn = state.db.write().await?;
    let line = require_own_line(&mut conn, me, line_id).await?;
    if line.model() == CollectorModel::Vi {
        return Err(AppError::Validation("VI型采集器通过接口在线获取追溯数据，无需导出文件".into()));
    }
    let collector = state.plugins.require_collector(line.model()).map_err(AppError::from)?;
    let enterprise = crate::orgs::require(&mut conn, line.enterprise_id).await?;
    let cards = processable_cards(&mut conn, line.enterprise_id).await?;
    let key = platform_key(&mut conn).await?;
    // What the device needs to work offline: the verification account (its
    // Argon2id hash, never the password) and the conditioning standards of the
    // cards' seasons and the current one, as the platform applies them on upload.
    let verifier = verifier_credential(&mut conn, line.enterprise_id)
        .await?
        .map(|(username, password_hash)| VerifierCredential { username, password_hash });
    let mut seasons: Vec<i32> = cards.iter().map(|(c, _)| c.season).collect();
    seasons.push(crate::season::current_season());
    seasons.sort_unstable();
    seasons.dedup();
    let rules = crate::season::rules_for_seasons(&mut conn, &seasons).await?;
    let standards: Vec<SeasonStandards> = seasons.iter().map(|s| SeasonStandards::from_rules(&rules[s])).collect();
    let now = Utc::now();
    let export = CardExport {
        line_id: line.line_ref(),
        model: line.model(),
        enterprise_code: enterprise.code.clone(),
        issued_at: now,
        cards: cards.iter().map(|(_, e)| e.clone()).collect(),
        verifier,
        standards,
    };
    let file = collector.export_file(&export, &key).map_err(AppError::from)?;
    let ids: Vec<i64> = cards.iter().map(|(c, _)| c.id).collect();
    let mut tx = Tx::begin(state, &mut conn).await?;
    let recorded = cotton_store::lines::record_export(tx.conn(), &ids, line.id, now.naive_utc()).await.map_err(AppError::from);
    tx.finish(recorded).await?;
    Ok(Export { file_name: file.file_name, mime_type: file.mime_type, bytes: file.bytes, card_count: ids.len() })
}

/// The enterprise's verification account as export files carry it: the name and
/// the Argon2id hash (never the password), for offline checks on IV/V devices.
pub async fn verifier_credential(conn: &mut DbConn, enterprise_id: i64) -> AppResult<Option<(String, String)>> {
    Ok(cotton_store::processing::find_verifier(conn, enterprise_id).await?)
}

/// The enterprise's production lines.
pub async fn list_for_enterprise(state: &AppState, enterprise_id: i64) -> AppResult<Vec<LineRow>> {
    let mut conn = state.db.read().await?;
    Ok(cotton_store::lines::list_for_enterprise(&mut conn, enterprise_id).await?)
}

/// `platformPublicKey`: the platform's Ed25519 public key in base64 (made on first
/// use), with which collectors verify export files.
pub async fn platform_public_key(state: &AppState) -> AppResult<String> {
    let mut conn = state.db.write().await?;
    let key = platform_key(&mut conn).await?;
    Ok(signing::verifying_key_to_base64(&key.verifying_key()))
}
