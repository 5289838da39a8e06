//! Writes the committed seed corpora, `corpus/<target>/seed-*`: small valid
//! samples of every format, made with the same code the platform and the
//! drivers use. Run from `fuzz/`: `sh seeds/make.sh`.

#[path = "common.rs"]
mod common;
use common::*;

fn main() {
    // Imports.
    let accounts: Vec<Vec<&str>> = vec![
        vec!["65001", "6500101", "一团一连", "lian11x", "自动生成"],
        vec!["65001", "6500102", "一团二连", "lian12x", "Cotton@2026"],
        vec!["65002", "6500201", "二团一连", "lian21x", ""],
    ];
    seed("import_company_accounts", "sheet.xlsx", &xlsx(&COMPANY_ACCOUNTS_HEADER, &accounts));
    let ids = [id_number("65010219900101123"), id_number("65900119851231004"), id_number("65420120000229331")];
    let roster: Vec<Vec<&str>> = vec![
        vec!["张三", &ids[0], "13901000001", "P-01", "52.5", "一连东", "新陆早57号"],
        vec!["张三", &ids[0], "13901000001", "P-02", "30", "", ""],
        vec!["买买提·艾力", &ids[1], "", "P-03", "120.25", "二连", "新陆中88号"],
        vec!["李四", &ids[2], "13901000003", "P-04", "18.75", "", ""],
    ];
    seed("import_roster", "sheet.xlsx", &xlsx(&ROSTER_HEADER, &roster));
    let sample_csv = fs::read("../docs/samples/inspections.csv").unwrap();
    seed("import_inspections", "sample.csv", &sample_csv);
    let inspections: Vec<Vec<&str>> = vec![
        vec!["650012026000001", "31", "29.5", "30.1", "4.2", "83.1", "2.1", "7.9", "226.50"],
        vec!["650012026000002", "21", "28.2", "30", "", "", "", "", ""],
    ];
    seed("import_inspections", "sheet.xlsx", &xlsx(&INSPECTION_HEADER, &inspections));
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(&csv(&INSPECTION_HEADER, &inspections));
    seed("import_inspections", "bom.csv", &bom);
    let tsv = |rows: &[Vec<&str>]| rows.iter().map(|r| r.join("\t")).collect::<Vec<_>>().join("\n").into_bytes();
    seed("import_rows", "accounts.tsv", &tsv(&accounts));
    seed("import_rows", "roster.tsv", &tsv(&roster));
    seed("import_rows", "inspections.tsv", &tsv(&inspections));

    // Plugin outputs as the host reads them.
    seed("plugin_output", "upload.json", &serde_json::to_vec(&samples::upload(CollectorModel::V)).unwrap());
    seed("plugin_output", "export.json", &serde_json::to_vec(&samples::export(CollectorModel::Iv, 2)).unwrap());
    seed("plugin_output", "print-job.json", &serde_json::to_vec(&samples::print_job()).unwrap());


    // The driver-host protocol as the server reads it from the child.
    {
        use cotton_plugin_host::PluginInfo;
        use cotton_plugin_host::driver_host::protocol::*;
        let info = PluginInfo {
            name: "cotton-collector-v".into(),
            kind: PluginKind::Collector,
            model: "V".into(),
            version: "0.1.0".into(),
            abi_version: COTTON_PLUGIN_ABI_VERSION,
            wire_version: COTTON_WIRE_VERSION,
            description: "V型采集器".into(),
            path: "/opt/cotton/plugins/libcotton_collector_v.so".into(),
            printer: None,
            collector: None,
        };
        let mut stream = Vec::new();
        for f in [
            Hello::ours().frame(),
            Frame::new(TAG_LOADED, serde_json::to_vec(&info).unwrap()),
            Frame::result(COTTON_STATUS_OK, &serde_json::to_vec(&samples::upload(CollectorModel::V)).unwrap()),
            Frame::result(COTTON_STATUS_INVALID_INPUT, "文件内容无法读取".as_bytes()),
        ] {
            write_frame(&mut stream, &f).unwrap();
        }
        seed("driver_host_frames", "session", &stream);
        let mut refused = Vec::new();
        write_frame(&mut refused, &Hello::ours().frame()).unwrap();
        write_frame(&mut refused, &Frame::new(TAG_REFUSED, b"no entry point".to_vec())).unwrap();
        seed("driver_host_frames", "refused", &refused);
    }

    // Card numbers, ID numbers, credit codes, mobiles.
    for (i, (season, serial)) in [(2026, 1u64), (2026, 12345), (2099, 9_999_999_999)].into_iter().enumerate() {
        seed("card_no", &format!("valid-{i}"), format_card_no(season, serial).as_bytes());
    }
    seed("card_no", "lowercase", format!(" {} ", format_card_no(2026, 7).to_lowercase()).as_bytes());
    seed("card_no", "mistyped", b"TC2600000000012");
    for (i, id) in ids.iter().enumerate() {
        seed("identity", &format!("id-{i}"), id.as_bytes());
    }
    seed("identity", "id-x", id_number("11010519491231002").as_bytes());
    let body = "91650100MA7XXXXX1";
    let body = body.replace('X', "A");
    seed("identity", "credit-code", format!("{body}{}", credit_check_char(&body).unwrap()).as_bytes());
    seed("identity", "mobile", b"13901000001");
    println!("seeds written under corpus/");
}
