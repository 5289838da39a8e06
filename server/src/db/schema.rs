//! One diesel schema for both backends. Decimal columns are `Numeric` here and map
//! to `NUMERIC` on PostgreSQL and `TEXT` on SQLite through [`super::Dec`].

diesel::table! {
    orgs (id) {
        id -> BigInt,
        kind -> Text,
        code -> Text,
        name -> Text,
        parent_id -> Nullable<BigInt>,
        regiment_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        org_id -> Nullable<BigInt>,
        phone -> Nullable<Text>,
        display_name -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        account_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (username) {
        username -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sms_codes (id) {
        id -> BigInt,
        phone -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        attempts -> Integer,
    }
}

diesel::table! {
    season_rules (season) {
        season -> Integer,
        min_unit_area_mu -> Numeric,
        realtime_window_minutes -> Integer,
        premium_min_length_mm -> Numeric,
        premium_min_strength -> Numeric,
        premium_mic_min -> Numeric,
        premium_mic_max -> Numeric,
        standard_moisture_pct -> Numeric,
        standard_trash_pct -> Numeric,
        nominal_bale_kg -> Numeric,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::joinable!(accounts -> orgs (org_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(orgs, accounts, refresh_tokens, login_attempts, sms_codes, season_rules, app_meta);
