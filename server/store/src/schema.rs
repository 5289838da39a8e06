//! One diesel schema for both backends. Decimal columns are `ExactDecimal` here and map
//! to `NUMERIC` on PostgreSQL and `TEXT` on SQLite through [`super::Dec`].

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    login_attempts (username) {
        username -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    season_rules (season) {
        season -> Integer,
        min_unit_area_mu -> ExactDecimal,
        realtime_window_minutes -> Integer,
        premium_min_length_mm -> ExactDecimal,
        premium_min_strength -> ExactDecimal,
        premium_mic_min -> ExactDecimal,
        premium_mic_max -> ExactDecimal,
        standard_moisture_pct -> ExactDecimal,
        standard_trash_pct -> ExactDecimal,
        nominal_bale_kg -> ExactDecimal,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
        cards_per_scan_iv_v -> Integer,
        cards_per_scan_vi -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::joinable!(accounts -> orgs (org_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));


diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    plots (id) {
        id -> BigInt,
        grower_id -> BigInt,
        company_id -> BigInt,
        season -> Integer,
        code -> Text,
        area_mu -> ExactDecimal,
        location -> Nullable<Text>,
        variety -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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
        quality_rev -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    unit_plots (id) {
        id -> BigInt,
        unit_id -> BigInt,
        plot_id -> BigInt,
        added_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

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

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    tickets (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        ticket_no -> Text,
        season -> Integer,
        grower_id -> BigInt,
        gross_kg -> ExactDecimal,
        tare_kg -> Nullable<ExactDecimal>,
        moisture_pct -> Nullable<ExactDecimal>,
        trash_pct -> Nullable<ExactDecimal>,
        lint_yield_pct -> Nullable<ExactDecimal>,
        module_count -> Nullable<Integer>,
        weighed_at -> Timestamp,
        uploaded_at -> Timestamp,
        late -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    ticket_plots (ticket_id, plot_id) {
        ticket_id -> BigInt,
        plot_id -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    trace_cards (id) {
        id -> BigInt,
        card_no -> Text,
        season -> Integer,
        ticket_id -> BigInt,
        unit_id -> BigInt,
        enterprise_id -> BigInt,
        module_type -> Text,
        module_count -> Integer,
        target_lint_kg -> ExactDecimal,
        processed_lint_kg -> ExactDecimal,
        processable_bales -> Integer,
        status -> Text,
        printed_by -> BigInt,
        printed_at -> Timestamp,
        finished_by -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    print_records (id) {
        id -> BigInt,
        card_id -> BigInt,
        copies -> Integer,
        reprint -> Bool,
        printer -> Text,
        by_account -> BigInt,
        at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    production_lines (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        name -> Text,
        collector_model -> Text,
        device_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    card_exports (id) {
        id -> BigInt,
        card_id -> BigInt,
        line_id -> BigInt,
        exported_at -> Timestamp,
    }
}

diesel::joinable!(ticket_plots -> tickets (ticket_id));
diesel::joinable!(ticket_plots -> plots (plot_id));
diesel::joinable!(trace_cards -> tickets (ticket_id));
diesel::joinable!(print_records -> trace_cards (card_id));
diesel::joinable!(card_exports -> trace_cards (card_id));
diesel::joinable!(tickets -> growers (grower_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    line_states (line_id) {
        line_id -> BigInt,
        state -> Text,
        version -> BigInt,
        last_seq -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    line_records (id) {
        id -> BigInt,
        line_id -> BigInt,
        seq -> BigInt,
        kind -> Text,
        payload -> Text,
        at -> Timestamp,
        source -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    bales (id) {
        id -> BigInt,
        barcode -> Text,
        enterprise_id -> BigInt,
        line_id -> BigInt,
        card_id -> Nullable<BigInt>,
        net_kg -> ExactDecimal,
        moisture_pct -> Nullable<ExactDecimal>,
        conditioned_kg -> ExactDecimal,
        traced -> Bool,
        delay -> Bool,
        pressed_at -> Timestamp,
        seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    enterprise_verifiers (enterprise_id) {
        enterprise_id -> BigInt,
        username -> Text,
        password_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(bales -> trace_cards (card_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    /// The printer model an enterprise's cards print on when none is named (migration 000009).
    enterprise_printers (enterprise_id) {
        enterprise_id -> BigInt,
        model -> Text,
        set_by -> BigInt,
        set_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::decimal::ExactDecimal;

    inspections (id) {
        id -> BigInt,
        barcode -> Text,
        color_grade -> Nullable<Text>,
        length_mm -> Nullable<ExactDecimal>,
        strength -> Nullable<ExactDecimal>,
        micronaire -> Nullable<ExactDecimal>,
        uniformity_pct -> Nullable<ExactDecimal>,
        trash_pct -> Nullable<ExactDecimal>,
        moisture_pct -> Nullable<ExactDecimal>,
        conditioned_kg -> Nullable<ExactDecimal>,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    /// The hash-chained audit log (migration 000006; written by triggers only).
    audit_log (chain, seq) {
        chain -> Integer,
        seq -> BigInt,
        at -> Text,
        tbl -> Text,
        op -> Text,
        row_key -> Text,
        row_json -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The events outbox (migration 000011): written in the change's transaction,
    /// numbered (`seq`, the subscribers' cursor) after commit.
    events (id) {
        id -> BigInt,
        seq -> Nullable<BigInt>,
        at -> Timestamp,
        payload -> Text,
    }
}

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
    tickets,
    ticket_plots,
    trace_cards,
    print_records,
    production_lines,
    card_exports,
    line_states,
    line_records,
    bales,
    enterprise_verifiers,
    enterprise_printers,
    inspections,
);

// myResults precomputed (migration 000012; docs/decisions.md "myResults precomputed").

diesel::table! {
    /// One row per change of an input of a grower's results page (triggers only).
    grower_marks (id) {
        id -> BigInt,
        grower_id -> BigInt,
    }
}

diesel::table! {
    /// One row per change of an input of a unit's premium allocation (triggers only).
    unit_marks (id) {
        id -> BigInt,
        unit_id -> BigInt,
    }
}

diesel::table! {
    /// A grower's results page as last computed (JSON), valid while `data_token`
    /// equals `folded` + the grower's marks.
    grower_results (grower_id) {
        grower_id -> BigInt,
        folded -> BigInt,
        data_token -> BigInt,
        data -> Nullable<Text>,
    }
}

diesel::table! {
    /// A unit's premium allocation as last computed (JSON), valid while `data_token`
    /// equals `folded` + the unit's marks and its premium criteria are the season's.
    unit_results (unit_id) {
        unit_id -> BigInt,
        folded -> BigInt,
        data_token -> BigInt,
        data -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(grower_results, growers);
diesel::allow_tables_to_appear_in_same_query!(grower_marks, growers);
diesel::allow_tables_to_appear_in_same_query!(grower_marks, grower_results);
diesel::allow_tables_to_appear_in_same_query!(unit_results, trace_units);
diesel::allow_tables_to_appear_in_same_query!(unit_marks, trace_units);
diesel::allow_tables_to_appear_in_same_query!(unit_marks, unit_results);
