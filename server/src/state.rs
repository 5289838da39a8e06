//! What the HTTP layer holds: the services' state and the server's configuration
//! (limits, proxies, dev mode), which the services never read.

use std::sync::Arc;

use cotton_service::state::AppState;

use crate::config::Config;

#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub config: Arc<Config>,
}

impl std::ops::Deref for ServerState {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.app
    }
}
