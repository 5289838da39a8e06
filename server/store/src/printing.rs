//! `printing`: the enterprises' default printer models.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::enterprise_printers;
use crate::{DbConn, StoreResult};

/// The enterprise's default printer model, if it set one.
pub async fn default_model(conn: &mut DbConn, enterprise_id: i64) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        enterprise_printers::table
            .find(enterprise_id)
            .select(enterprise_printers::model)
            .first(conn)
            .await
            .optional()?
    }))
}

/// Sets (inserts or replaces) the enterprise's default model; answers the model stored.
pub async fn set_default_model(
    conn: &mut DbConn,
    enterprise_id: i64,
    model: &str,
    set_by: i64,
    set_at: NaiveDateTime,
) -> StoreResult<String> {
    Ok(db_run!(conn: {
        diesel::insert_into(enterprise_printers::table)
            .values((
                enterprise_printers::enterprise_id.eq(enterprise_id),
                enterprise_printers::model.eq(model),
                enterprise_printers::set_by.eq(set_by),
                enterprise_printers::set_at.eq(set_at),
            ))
            .on_conflict(enterprise_printers::enterprise_id)
            .do_update()
            .set((
                enterprise_printers::model.eq(model),
                enterprise_printers::set_by.eq(set_by),
                enterprise_printers::set_at.eq(set_at),
            ))
            .returning(enterprise_printers::model)
            .get_result(conn)
            .await?
    }))
}
