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


diesel::table! {
    growers (id) {
        id -> BigInt,
        company_id -> BigInt,
        id_number -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    plots (id) {
        id -> BigInt,
        grower_id -> BigInt,
        company_id -> BigInt,
        season -> Integer,
        code -> Text,
        area_mu -> Numeric,
        location -> Nullable<Text>,
        variety -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    trace_units (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        season -> Integer,
        status -> Text,
        region_id -> BigInt,
        regiment_id -> BigInt,
        creator_account_id -> BigInt,
        creator_org_id -> BigInt,
        legal_name -> Nullable<Text>,
        legal_id_number -> Nullable<Text>,
        legal_credit_code -> Nullable<Text>,
        legal_phone -> Nullable<Text>,
        processing -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_plots (id) {
        id -> BigInt,
        unit_id -> BigInt,
        plot_id -> BigInt,
        added_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    unit_reviews (id) {
        id -> BigInt,
        unit_id -> BigInt,
        action -> Text,
        reason -> Nullable<Text>,
        by_account -> BigInt,
        at -> Timestamp,
    }
}

diesel::joinable!(plots -> growers (grower_id));
diesel::joinable!(unit_plots -> trace_units (unit_id));
diesel::joinable!(unit_plots -> plots (plot_id));
diesel::joinable!(unit_reviews -> trace_units (unit_id));

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    accounts,
    refresh_tokens,
    login_attempts,
    sms_codes,
    season_rules,
    app_meta,
    growers,
    plots,
    trace_units,
    unit_plots,
    unit_reviews,
);
