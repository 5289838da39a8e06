//! Production lines and the export of trace cards to their collectors (manual §2.3).
//!
//! Keys: the platform signs export files with its Ed25519 key (generated once and
//! kept in the database, so every instance signs alike; devices get the public key
//! from `platformPublicKey`). Each line has its own Ed25519 key: the device signs
//! its upload files with it and the platform checks them with the line's public
//! half. The line's private key is shown to its enterprise (`deviceKey`) to install
//! on the device.

pub mod graphql;

use chrono::Utc;
use cotton_domain::orgs::validate_name;
use cotton_domain::processing::{CardExport, CollectorModel, ExportedCard, SeasonStandards, VerifierCredential};
use cotton_plugin_host::signing;

use crate::auth::Principal;
use crate::cards::CardRow;
use crate::db::prelude::*;
use crate::db::schema::{app_meta, card_exports, growers, production_lines, tickets, trace_cards, trace_units};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use cotton_store::lines::LineRow;

/// The line's device signing key (what its collector signs files with).
pub fn signing_key(line: &LineRow) -> AppResult<signing::SigningKey> {
    signing::signing_key_from_base64(&line.device_key).map_err(|e| AppError::internal(e.0))
}

pub async fn require_own_line(conn: &mut DbConn, me: &Principal, line_id: i64) -> AppResult<LineRow> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let row: Option<LineRow> = db_run!(conn: {
        production_lines::table.find(line_id).select(LineRow::as_select()).first(conn).await.optional()?
    });
    row.filter(|l| l.enterprise_id == enterprise_id)
        .ok_or_else(|| AppError::NotFound(format!("本企业没有该生产线（编号 {line_id}）")))
}

pub async fn create(state: &AppState, me: &Principal, name: &str, model: CollectorModel) -> AppResult<LineRow> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let name = validate_name(name, "生产线名称")?;
    let key = signing::signing_key_to_base64(&signing::generate_key());
    let mut conn = state.db.write().await?;
    let values = (
        production_lines::enterprise_id.eq(enterprise_id),
        production_lines::name.eq(&name),
        production_lines::collector_model.eq(model.as_str()),
        production_lines::device_key.eq(key),
        production_lines::created_at.eq(Utc::now().naive_utc()),
    );
    let result: AppResult<LineRow> = db_run!(conn: {
        diesel::insert_into(production_lines::table)
            .values(values)
            .returning(LineRow::as_returning())
            .get_result(conn)
            .await
            .map_err(AppError::from)
    });
    result.map_err(|e| if e.is_unique_violation() { AppError::Conflict(format!("生产线 {name} 已存在")) } else { e })
}

/// The platform's export-signing key, created on first use and kept in the database.
pub async fn platform_key(conn: &mut DbConn) -> AppResult<signing::SigningKey> {
    let stored: Option<String> = db_run!(conn: {
        app_meta::table.find("platform_signing_key").select(app_meta::value).first(conn).await.optional()?
    });
    if let Some(s) = stored {
        return signing::signing_key_from_base64(&s).map_err(|e| AppError::internal(e.0));
    }
    let fresh = signing::signing_key_to_base64(&signing::generate_key());
    // Two instances may race to create it: the first insert wins, both read it back.
    db_run!(conn: {
        diesel::insert_into(app_meta::table)
            .values((app_meta::key.eq("platform_signing_key"), app_meta::value.eq(&fresh)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    });
    let s: String = db_run!(conn: {
        app_meta::table.find("platform_signing_key").select(app_meta::value).first(conn).await?
    });
    signing::signing_key_from_base64(&s).map_err(|e| AppError::internal(e.0))
}

/// The enterprise's cards a device may still process (printed or exported, not yet
/// processing or finished), as the collector sees them.
pub async fn processable_cards(conn: &mut DbConn, enterprise_id: i64) -> AppResult<Vec<(CardRow, ExportedCard)>> {
    let rows: Vec<(CardRow, String, String, String)> = db_run!(conn: {
        trace_cards::table
            .inner_join(tickets::table.inner_join(growers::table))
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_cards::enterprise_id.eq(enterprise_id))
            .filter(trace_cards::status.eq_any(["PRINTED", "EXPORTED"]))
            .order(trace_cards::id)
            .select((CardRow::as_select(), tickets::ticket_no, growers::name, trace_units::name))
            .load(conn)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(card, ticket_no, grower_name, unit_name)| {
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
pub async fn export(state: &AppState, me: &Principal, line_id: i64) -> AppResult<Export> {
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
    let verifier = crate::processing::verifier_credential(&mut conn, line.enterprise_id)
        .await?
        .map(|(username, password_hash)| VerifierCredential { username, password_hash });
    let mut seasons: Vec<i32> = cards.iter().map(|(c, _)| c.season).collect();
    seasons.push(crate::processing::current_season());
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
    db_run!(conn: {
        conn.transaction(async |conn| {
            diesel::update(trace_cards::table.filter(trace_cards::id.eq_any(&ids)).filter(trace_cards::status.eq("PRINTED")))
                .set(trace_cards::status.eq("EXPORTED"))
                .execute(conn)
                .await?;
            for id in &ids {
                diesel::insert_into(card_exports::table)
                    .values((card_exports::card_id.eq(*id), card_exports::line_id.eq(line.id), card_exports::exported_at.eq(now.naive_utc())))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, AppError>(())
        })
        .await
    })?;
    Ok(Export { file_name: file.file_name, mime_type: file.mime_type, bytes: file.bytes, card_count: ids.len() })
}

/// Production lines by id (a bale's line).
pub struct LineLoader {
    pub db: crate::db::DbPool,
}

impl async_graphql::dataloader::Loader<i64> for LineLoader {
    type Value = LineRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<std::collections::HashMap<i64, LineRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<LineRow> = db_run!(conn: {
            production_lines::table.filter(production_lines::id.eq_any(&keys)).select(LineRow::as_select()).load(conn).await.map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|l| (l.id, l)).collect())
    }
}
