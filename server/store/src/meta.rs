//! `meta`: the `app_meta` key/value rows (e.g. whether the demo data is loaded).

use crate::prelude::*;
use crate::schema::app_meta;
use crate::{DbConn, StoreResult};

pub async fn get(conn: &mut DbConn, key: &str) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        app_meta::table.find(key).select(app_meta::value).first(conn).await.optional()?
    }))
}

pub async fn insert(conn: &mut DbConn, key: &str, value: &str) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(app_meta::table)
            .values((app_meta::key.eq(key), app_meta::value.eq(value)))
            .execute(conn)
            .await?;
    });
    Ok(())
}
