//! A GraphQL client that tells the three outcomes of a call apart, as a device
//! must: acknowledged (HTTP 200 with data), refused (an answer with an error
//! code: the server decided), and lost (no answer: the server may or may not
//! have applied it).

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub enum Outcome {
    /// HTTP 200 with `data` and no errors.
    Acked(Value),
    /// An answer with `errors[0].extensions.code` (and the message).
    Refused(String, String),
    /// No (complete) answer: connection refused or reset, timeout, or a body
    /// that is not a GraphQL response.
    Lost(String),
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("reqwest client")
}

/// POST /graphql at `base`.
pub async fn call(http: &reqwest::Client, base: &str, token: &str, query: &str, variables: Value) -> Outcome {
    let resp = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return Outcome::Lost(e.to_string()),
    };
    let status = resp.status();
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => return Outcome::Lost(format!("{status}: body lost: {e}")),
    };
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return Outcome::Lost(format!("{status}: not a GraphQL response: {text}"));
    };
    if let Some(e) = v.get("errors").and_then(|e| e.get(0)) {
        let code = e["extensions"]["code"].as_str().unwrap_or("").to_string();
        let msg = e["message"].as_str().unwrap_or("").to_string();
        assert!(crate::harness::has_cjk(&msg), "error message should be Chinese: {v}");
        return Outcome::Refused(code, msg);
    }
    if status.as_u16() == 200 && v.get("data").is_some_and(|d| !d.is_null()) {
        Outcome::Acked(v["data"].clone())
    } else {
        Outcome::Lost(format!("{status}: {text}"))
    }
}
