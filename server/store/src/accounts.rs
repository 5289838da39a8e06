//! `accounts`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::{DbConn, StoreResult};
use cotton_domain::orgs::Role;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub phone: Option<String>,
    pub display_name: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub org_id: Option<i64>,
    pub phone: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

impl AccountRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).expect("database CHECK keeps roles valid")
    }
}

impl NewAccount<'_> {
    pub async fn insert(&self, conn: &mut DbConn) -> StoreResult<AccountRow> {
        Ok(db_run!(conn: {
            diesel::insert_into(accounts::table).values(self).returning(AccountRow::as_returning()).get_result(conn).await?
        }))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = login_attempts)]
pub struct Attempts {
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: i64,
    pub account_id: i64,
    pub family: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sms_codes)]
pub struct CodeRow {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i32,
}

pub async fn find(conn: &mut DbConn, id: i64) -> StoreResult<Option<AccountRow>> {
    Ok(db_run!(conn: {
        accounts::table.find(id).select(AccountRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn find_by_username(conn: &mut DbConn, username: &str) -> StoreResult<Option<AccountRow>> {
    Ok(db_run!(conn: {
        accounts::table
            .filter(accounts::username.eq(username))
            .select(AccountRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

pub async fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(accounts::table.find(id)).set(accounts::password_hash.eq(hash)).execute(conn).await?;
    });
    Ok(())
}

/// How many accounts have `role` (the demo checks for a platform admin).
pub async fn count_with_role(conn: &mut DbConn, role: Role) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        accounts::table.filter(accounts::role.eq(role.as_str())).count().get_result(conn).await?
    }))
}

// ---- login throttling -------------------------------------------------------

/// The failed sign-ins recorded for `username`, if any.
pub async fn find_attempts(conn: &mut DbConn, username: &str) -> StoreResult<Option<Attempts>> {
    Ok(db_run!(conn: {
        login_attempts::table.find(username).select(Attempts::as_select()).first(conn).await.optional()?
    }))
}

/// Records the failure count of `username` (insert or update).
pub async fn record_failures(
    conn: &mut DbConn,
    username: &str,
    failures: i32,
    now: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
) -> StoreResult<()> {
    let row = (
        login_attempts::username.eq(username),
        login_attempts::failures.eq(failures),
        login_attempts::last_failure_at.eq(now),
        login_attempts::locked_until.eq(locked_until),
    );
    db_run!(conn: {
        diesel::insert_into(login_attempts::table)
            .values(row)
            .on_conflict(login_attempts::username)
            .do_update()
            .set((
                login_attempts::failures.eq(failures),
                login_attempts::last_failure_at.eq(now),
                login_attempts::locked_until.eq(locked_until),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Forgets the failures of `username` (after a successful sign-in).
pub async fn clear_attempts(conn: &mut DbConn, username: &str) -> StoreResult<()> {
    db_run!(conn: {
        diesel::delete(login_attempts::table.find(username)).execute(conn).await?;
    });
    Ok(())
}

// ---- refresh tokens ---------------------------------------------------------

pub struct NewRefreshToken<'a> {
    pub account_id: i64,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub async fn insert_refresh_token(conn: &mut DbConn, new: &NewRefreshToken<'_>) -> StoreResult<()> {
    let row = (
        refresh_tokens::account_id.eq(new.account_id),
        refresh_tokens::family.eq(new.family),
        refresh_tokens::token_hash.eq(new.token_hash),
        refresh_tokens::created_at.eq(new.created_at),
        refresh_tokens::expires_at.eq(new.expires_at),
    );
    db_run!(conn: {
        diesel::insert_into(refresh_tokens::table).values(row).execute(conn).await?;
    });
    Ok(())
}

pub async fn find_refresh_token(conn: &mut DbConn, token_hash: &str) -> StoreResult<Option<RefreshRow>> {
    Ok(db_run!(conn: {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select(RefreshRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

/// Marks the token used unless someone did first; the number of rows marked (0 or 1).
pub async fn claim_refresh_token(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(db_run!(conn: {
        diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)
            .await?
    }))
}

/// Revokes every live token of a session family.
pub async fn revoke_family(conn: &mut DbConn, family: &str, now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(refresh_tokens::table.filter(refresh_tokens::family.eq(family)).filter(refresh_tokens::revoked_at.is_null()))
            .set(refresh_tokens::revoked_at.eq(now))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Revokes every live token of an account.
pub async fn revoke_all_of(conn: &mut DbConn, account_id: i64, now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(refresh_tokens::table.filter(refresh_tokens::account_id.eq(account_id)).filter(refresh_tokens::revoked_at.is_null()))
            .set(refresh_tokens::revoked_at.eq(now))
            .execute(conn)
            .await?;
    });
    Ok(())
}

// ---- SMS codes --------------------------------------------------------------

/// When codes were sent to `phone` after `since`, newest first.
pub async fn code_times_since(conn: &mut DbConn, phone: &str, since: NaiveDateTime) -> StoreResult<Vec<NaiveDateTime>> {
    Ok(db_run!(conn: {
        sms_codes::table
            .filter(sms_codes::phone.eq(phone))
            .filter(sms_codes::created_at.gt(since))
            .select(sms_codes::created_at)
            .order(sms_codes::created_at.desc())
            .load(conn)
            .await?
    }))
}

pub async fn insert_code(
    conn: &mut DbConn,
    phone: &str,
    code_hash: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    let row = (
        sms_codes::phone.eq(phone),
        sms_codes::code_hash.eq(code_hash),
        sms_codes::created_at.eq(created_at),
        sms_codes::expires_at.eq(expires_at),
        sms_codes::attempts.eq(0),
    );
    db_run!(conn: {
        diesel::insert_into(sms_codes::table).values(row).execute(conn).await?;
    });
    Ok(())
}

/// How many unused codes of `phone` with this hash are live at `now` (fewer than
/// `max_attempts` wrong guesses).
pub async fn count_live_codes_with_hash(
    conn: &mut DbConn,
    phone: &str,
    code_hash: &str,
    now: NaiveDateTime,
    max_attempts: i32,
) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        sms_codes::table
            .filter(sms_codes::phone.eq(phone))
            .filter(sms_codes::code_hash.eq(code_hash))
            .filter(sms_codes::used_at.is_null())
            .filter(sms_codes::expires_at.gt(now))
            .filter(sms_codes::attempts.lt(max_attempts))
            .count()
            .get_result(conn)
            .await?
    }))
}

/// The unused codes of `phone` live at `now`, newest first.
pub async fn live_codes(conn: &mut DbConn, phone: &str, now: NaiveDateTime, max_attempts: i32) -> StoreResult<Vec<CodeRow>> {
    Ok(db_run!(conn: {
        sms_codes::table
            .filter(sms_codes::phone.eq(phone))
            .filter(sms_codes::used_at.is_null())
            .filter(sms_codes::expires_at.gt(now))
            .filter(sms_codes::attempts.lt(max_attempts))
            .select(CodeRow::as_select())
            .order(sms_codes::created_at.desc())
            .load(conn)
            .await?
    }))
}

/// Marks code `id` used unless someone did first; the number of rows marked (0 or 1).
pub async fn claim_code(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(db_run!(conn: {
        diesel::update(sms_codes::table.find(id).filter(sms_codes::used_at.is_null()))
            .set(sms_codes::used_at.eq(now))
            .execute(conn)
            .await?
    }))
}

pub async fn set_code_attempts(conn: &mut DbConn, id: i64, attempts: i32) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(sms_codes::table.find(id))
            .set(sms_codes::attempts.eq(attempts))
            .execute(conn)
            .await?;
    });
    Ok(())
}
