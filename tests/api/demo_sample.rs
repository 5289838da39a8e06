//! The README's sample inspection file (`docs/samples/inspections.csv`) on the
//! data of `serve --demo` (issue 15 item 11): imported as the demo admin through
//! HTTP, every row is accepted, and the bales show the inspection.

use serde_json::json;

use crate::harness::*;
use crate::processing_fixture::IMPORT_INSPECTIONS;

both_backends!(readme_inspection_sample_imports_on_the_demo);

const DEMO_PASSWORD: &str = "Cotton@2026";

fn sample() -> (Vec<u8>, Vec<Vec<String>>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/samples/inspections.csv");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let text = String::from_utf8(bytes.clone()).expect("the sample is UTF-8");
    let rows: Vec<Vec<String>> =
        text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect();
    (bytes, rows)
}

async fn readme_inspection_sample_imports_on_the_demo(backend: Backend) {
    let srv = TestServer::start(backend, Opts::demo()).await;
    let (bytes, rows) = sample();
    assert!(!rows.is_empty(), "the sample has data rows");
    // The demo's bales are the sample's (server/src/demo_season.rs).
    let demo: Vec<&str> = cotton_devtools::demo_season::DEMO_UNTRACED_BALES.iter().map(|b| b.0).collect();
    let barcodes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(barcodes, demo, "the sample names the demo's bales");

    let admin = srv.admin_token().await;
    let resp = srv.upload(Some(&admin), IMPORT_INSPECTIONS, json!({}), "inspections.csv", bytes.clone()).await;
    let rep = data(&resp)["importInspections"].clone();
    let n = rows.len() as i64;
    assert_eq!([&rep["created"], &rep["updated"], &rep["skipped"], &rep["failed"]], [&json!(n), &json!(0), &json!(0), &json!(0)], "{rep}");
    for (i, r) in rep["rows"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["row"], i as i64 + 2, "{rep}");
        assert_eq!(r["status"], "CREATED", "{rep}");
    }
    // Imported again: nothing new.
    let again = srv.upload(Some(&admin), IMPORT_INSPECTIONS, json!({}), "inspections.csv", bytes).await;
    assert_eq!(data(&again)["importInspections"]["skipped"], n, "{again}");

    // The enterprise that pressed them sees the inspection data of the sample.
    let qts = srv.login("qts65001", DEMO_PASSWORD).await;
    for r in &rows {
        let resp = srv
            .ok(
                Some(&qts),
                "query($b: String!) { bale(barcode: $b) { barcode traced line { name collectorModel } inspection { colorGrade lengthMm strength micronaire conditionedKg } } }",
                json!({ "b": r[0] }),
            )
            .await;
        let b = &resp["bale"];
        assert_eq!(b["barcode"], r[0].as_str(), "{resp}");
        assert_eq!(b["traced"], false, "pressed before any card was scanned: {b}");
        assert_eq!(b["line"]["collectorModel"], "VI", "{b}");
        let insp = &b["inspection"];
        assert_eq!(insp["colorGrade"], r[1].as_str(), "{b}");
        assert_eq!(dec(&insp["lengthMm"]), d(&r[2]), "{b}");
        assert_eq!(dec(&insp["conditionedKg"]), d(&r[8]), "{b}");
    }
}
