//! Shared by the seed writers (see seeds/main.rs).
#![allow(dead_code, unused_imports)]

pub use std::fs;
pub use std::path::Path;

pub use cotton_domain::card_no::format_card_no;
pub use cotton_domain::identity::{credit_check_char, id_check_char};
pub use cotton_domain::processing::{SeasonStandards, VerifierCredential};
pub use cotton_import::company_accounts::COMPANY_ACCOUNTS_HEADER;
pub use cotton_import::inspections::INSPECTION_HEADER;
pub use cotton_import::roster::ROSTER_HEADER;
pub use cotton_plugin_abi::ffi::*;
pub use cotton_plugin_abi::sdk::{CollectorDriver, Meta, dispatch_collector};
pub use cotton_plugin_abi::wire::*;
pub use cotton_plugin_host::samples;
pub use cotton_plugin_host::signing::{FilePurpose, SigningKey, sign_file};

pub fn seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

pub fn xlsx(header: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Numbers as numbers, the way Excel users type them.
            match v.parse::<f64>() {
                Ok(n) if !v.starts_with('0') && v.len() < 15 => sheet.write_number(r as u32 + 1, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32 + 1, c as u16, *v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

pub fn csv(header: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut s = header.join(",");
    for r in rows {
        s.push('\n');
        s.push_str(&r.join(","));
    }
    s.push('\n');
    s.into_bytes()
}

pub fn id_number(body17: &str) -> String {
    let b: [u8; 17] = body17.as_bytes().try_into().unwrap();
    format!("{body17}{}", id_check_char(&b))
}

pub fn meta(model: CollectorModel) -> Meta {
    Meta { kind: PluginKind::Collector, name: "seeds", model: model.as_str(), version: "0", description: "seeds" }
}

/// The sample export (with a verifier and standards) and upload, as written by the driver.
pub fn payloads<D: CollectorDriver>(d: &D, model: CollectorModel) -> (Vec<u8>, Vec<u8>) {
    let mut export = samples::export(model, 3);
    export.verifier = Some(VerifierCredential {
        username: "qts65001".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
    });
    export.standards = vec![SeasonStandards::defaults(2026)];
    let cards = dispatch_collector(d, &meta(model), COTTON_OP_ENCODE_CARDS, &serde_json::to_vec(&export).unwrap()).unwrap();
    let upload = samples::upload(model);
    let records = dispatch_collector(d, &meta(model), COTTON_OP_ENCODE_RECORDS, &serde_json::to_vec(&upload).unwrap()).unwrap();
    (cards, records)
}


/// The seeds of one collector driver: its payloads, and for file drivers the
/// signed files (byte 0: 0 = upload, 2 = export) for `upload_file_<m>`.
pub fn collector_seeds<D: CollectorDriver>(d: &D, model: CollectorModel) {
    let m = model.as_str().to_lowercase();
    let (cards, records) = payloads(d, model);
    seed(&format!("collector_{m}"), "export", &cards);
    seed(&format!("collector_{m}"), "upload", &records);
    if model.is_online() {
        return;
    }
    let key = SigningKey::from_bytes(&[7; 32]); // the fuzz targets' key
    for (purpose, sel, body, name) in [(FilePurpose::Upload, 0u8, &records, "upload"), (FilePurpose::Export, 2u8, &cards, "export")] {
        let mut file = vec![sel];
        file.extend(sign_file(purpose, "L-65001-1", &key, body).unwrap());
        seed(&format!("upload_file_{m}"), name, &file);
    }
    if m == "v" {
        let describe = dispatch_collector(d, &meta(model), COTTON_OP_DESCRIBE, &[]).unwrap();
        seed("plugin_output", "describe.json", &describe);
    }
}
