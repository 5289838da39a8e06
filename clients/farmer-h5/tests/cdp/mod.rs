//! A headless Chromium page driven over the DevTools protocol (Debian's
//! `chromium`), shared by the farmers' page test (`clients/farmer-h5/tests/browser.rs`)
//! and the GraphiQL test of the server (`tests/api/graphiql.rs`, by path).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(20);

/// `$CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` after a message; under `CI=true` a missing Chromium fails the test.
pub fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    let exe = chromium();
    if exe.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is not installed and CI=true: .ci/run installs it (apt-get install chromium)");
        }
        eprintln!("skipping {what}: chromium is not installed (apt-get install chromium)");
    }
    exe
}

/// One page of a headless Chromium, driven over the DevTools protocol.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    session: String,
    next_id: u64,
    pub width: u32,
    pub height: u32,
    /// The URL of every request the page made, from `Network.requestWillBeSent`
    /// (after [`Browser::record_requests`]).
    pub requests: Vec<String>,
}

impl Browser {
    pub async fn launch(exe: &Path, width: u32, height: u32) -> Browser {
        Self::launch_with(exe, width, height, &[]).await
    }

    /// With extra command-line switches, e.g. `--host-resolver-rules=…`.
    pub async fn launch_with(exe: &Path, width: u32, height: u32, extra: &[&str]) -> Browser {
        let profile = tempfile::Builder::new().prefix("cotton-chromium-").tempdir().unwrap();
        let child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--lang=zh-CN",
            ])
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
        // Chromium writes its DevTools port and path into the profile folder.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break format!("ws://127.0.0.1:{port}{path}");
                }
            }
            assert!(Instant::now() < deadline, "chromium wrote no DevToolsActivePort within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("connect to chromium's DevTools");
        let mut b = Browser { child, _profile: profile, ws, session: String::new(), next_id: 0, width, height, requests: Vec::new() };
        let target = b.call_browser("Target.createTarget", json!({ "url": "about:blank" })).await;
        let attached = b
            .call_browser("Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true }))
            .await;
        b.session = attached["sessionId"].as_str().expect("sessionId").to_string();
        b
    }

    /// Starts recording the page's requests into [`Browser::requests`].
    pub async fn record_requests(&mut self) {
        self.call("Network.enable", json!({})).await;
    }

    async fn send(&mut self, method: &str, params: Value, session: Option<String>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        self.ws.send(Message::text(msg.to_string())).await.expect("send to chromium");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let m = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("chromium did not answer {method} within {WAIT:?}"))
                .expect("chromium closed the DevTools connection")
                .expect("DevTools message");
            let Message::Text(text) = m else { continue };
            let v: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if v["method"] == "Network.requestWillBeSent" {
                if let Some(url) = v["params"]["request"]["url"].as_str() {
                    self.requests.push(url.to_string());
                }
            }
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
        }
    }

    pub async fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None).await
    }

    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.send(method, params, Some(s)).await
    }

    /// Evaluates a JS expression in the page (promises awaited); its JSON value.
    pub async fn eval(&mut self, expr: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({ "expression": expr, "returnByValue": true, "awaitPromise": true })).await;
        if let Some(e) = r.get("exceptionDetails") {
            panic!("JS exception in {expr:?}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Polls `expr` until it is truthy (an exception, e.g. while a page is
    /// still loading, counts as not yet).
    pub async fn wait_js(&mut self, what: &str, expr: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        let guarded = format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
        loop {
            let v = self.eval(&guarded).await;
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            if Instant::now() > deadline {
                let body = self.eval("document.body ? document.body.innerText : ''").await;
                panic!("the page did not show {what} within {WAIT:?}; it shows:\n{}", body.as_str().unwrap_or(""));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types into an element as a user would (focus, then text input).
    pub async fn type_into(&mut self, selector: &str, text: &str) {
        self.eval(&format!("(() => {{ const e = document.querySelector({selector:?}); e.focus(); e.value = ''; return true; }})()")).await;
        self.call("Input.insertText", json!({ "text": text })).await;
    }

    /// Clicks the centre of an element with the mouse.
    pub async fn click(&mut self, selector: &str) {
        let r = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({selector:?}); e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ))
            .await;
        let (x, y) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
        for ty in ["mousePressed", "mouseReleased"] {
            self.call("Input.dispatchMouseEvent", json!({ "type": ty, "x": x, "y": y, "button": "left", "clickCount": 1 })).await;
        }
    }

    /// A PNG of the page's top `height` CSS pixels (or all of it) at the emulated
    /// width, as a phone (`mobile`) or a desktop.
    pub async fn screenshot(&mut self, height: Option<u32>, mobile: bool) -> Vec<u8> {
        let (width, base) = (self.width, self.height);
        let m = self.call("Page.getLayoutMetrics", json!({})).await;
        let h = m["cssContentSize"]["height"].as_f64().unwrap_or(f64::from(base)).ceil().max(f64::from(base));
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": h as u32, "deviceScaleFactor": 2, "mobile": mobile }),
        )
        .await;
        let mut params = json!({ "format": "png", "captureBeyondViewport": true });
        if let Some(top) = height {
            params["clip"] = json!({ "x": 0, "y": 0, "width": width, "height": f64::from(top).min(h), "scale": 1 });
        }
        let shot = self.call("Page.captureScreenshot", params).await;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": base, "deviceScaleFactor": 2, "mobile": mobile }),
        )
        .await;
        base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).expect("PNG base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
