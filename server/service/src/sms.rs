//! SMS delivery behind a trait, so a real gateway can be plugged in. The built-in
//! sender only writes the code to the log; in `--dev`/`--demo` it also remembers
//! the codes so `devSmsCodes` (and the tests) can read them.

use std::collections::HashMap;
use std::sync::Mutex;

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_code(&self, phone: &str, code: &str) -> Result<(), String>;
    /// Codes sent to `phone`, newest first; `None` when this sender keeps none.
    fn sent_codes(&self, phone: &str) -> Option<Vec<String>>;
}

pub struct LogSmsSender {
    keep_codes: bool,
    sent: Mutex<HashMap<String, Vec<String>>>,
}

impl LogSmsSender {
    pub fn new(keep_codes: bool) -> Self {
        LogSmsSender { keep_codes, sent: Mutex::new(HashMap::new()) }
    }
}

#[async_trait::async_trait]
impl SmsSender for LogSmsSender {
    async fn send_code(&self, phone: &str, code: &str) -> Result<(), String> {
        tracing::info!(phone, code, "SMS verification code (log sender)");
        if self.keep_codes {
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            sent.entry(phone.to_string()).or_default().insert(0, code.to_string());
        }
        Ok(())
    }

    fn sent_codes(&self, phone: &str) -> Option<Vec<String>> {
        if !self.keep_codes {
            return None;
        }
        let sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        Some(sent.get(phone).cloned().unwrap_or_default())
    }
}
