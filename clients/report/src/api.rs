//! The public GraphQL API over HTTP: sign-in, token refresh, queries.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken account { username role org { id name } } } }";
const REFRESH: &str = "mutation($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken account { username role org { id name } } } }";

#[derive(Debug)]
pub enum ApiError {
    /// The server could not be reached or answered with something that is not GraphQL.
    Unreachable(String),
    /// GraphQL errors: (code, message) of the first one.
    Graphql { code: String, message: String },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unreachable(m) => write!(f, "服务器无法连接：{m}"),
            ApiError::Graphql { code, message } => write!(f, "{message}（{code}）"),
        }
    }
}

impl std::error::Error for ApiError {}

/// Who signed in.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub role: String,
    pub org_name: Option<String>,
}

#[derive(Default)]
struct Tokens {
    access: Option<String>,
    refresh: Option<String>,
}

pub struct Api {
    http: reqwest::Client,
    base: String,
    username: String,
    password: String,
    tokens: Mutex<Tokens>,
}

impl Api {
    /// `base` is the server's origin, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str, username: &str, password: &str) -> Api {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client");
        Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            username: username.to_string(),
            password: password.to_string(),
            tokens: Mutex::new(Tokens::default()),
        }
    }

    /// `ws://…/graphql/ws` for `http://…`.
    pub fn ws_url(&self) -> String {
        let rest = self
            .base
            .strip_prefix("https://")
            .map(|r| format!("wss://{r}"))
            .or_else(|| self.base.strip_prefix("http://").map(|r| format!("ws://{r}")))
            .unwrap_or_else(|| format!("ws://{}", self.base));
        format!("{rest}/graphql/ws")
    }

    /// One POST of `{query, variables}`; the raw GraphQL response body.
    async fn post(&self, query: &str, variables: &Value, token: Option<&str>) -> Result<Value, ApiError> {
        self.post_body(&json!({ "query": query, "variables": variables }), token).await
    }

    /// One POST of a request body; the raw GraphQL response body.
    async fn post_body(&self, body: &Value, token: Option<&str>) -> Result<Value, ApiError> {
        let mut req = self.http.post(format!("{}/graphql", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let status = resp.status();
        resp.json::<Value>()
            .await
            .map_err(|e| ApiError::Unreachable(format!("HTTP {status}: {e}")))
    }

    fn first_error(body: &Value) -> Option<ApiError> {
        let e = body.get("errors").and_then(|e| e.get(0))?;
        Some(ApiError::Graphql {
            code: e["extensions"]["code"].as_str().unwrap_or("ERROR").to_string(),
            message: e["message"].as_str().unwrap_or("").to_string(),
        })
    }

    fn account_of(payload: &Value) -> Account {
        let a = &payload["account"];
        Account {
            username: a["username"].as_str().unwrap_or_default().to_string(),
            role: a["role"].as_str().unwrap_or_default().to_string(),
            org_name: a["org"]["name"].as_str().map(str::to_string),
        }
    }

    async fn store(&self, payload: &Value) {
        let mut t = self.tokens.lock().await;
        t.access = payload["accessToken"].as_str().map(str::to_string);
        t.refresh = payload["refreshToken"].as_str().map(str::to_string);
    }

    /// Signs in with the username and password.
    pub async fn login(&self) -> Result<Account, ApiError> {
        let body = self.post(LOGIN, &json!({ "u": self.username, "p": self.password }), None).await?;
        if let Some(e) = Self::first_error(&body) {
            return Err(match e {
                // A refused sign-in is not worth retrying.
                ApiError::Graphql { code, message } if code == "UNAUTHENTICATED" => {
                    ApiError::Graphql { code: "LOGIN_FAILED".into(), message }
                }
                other => other,
            });
        }
        let payload = &body["data"]["login"];
        self.store(payload).await;
        Ok(Self::account_of(payload))
    }

    /// A new token pair from the refresh token, or a new sign-in when that fails.
    pub async fn reauthenticate(&self) -> Result<Account, ApiError> {
        let refresh = self.tokens.lock().await.refresh.clone();
        if let Some(r) = refresh {
            let body = self.post(REFRESH, &json!({ "r": r }), None).await?;
            if Self::first_error(&body).is_none() {
                let payload = &body["data"]["refresh"];
                self.store(payload).await;
                return Ok(Self::account_of(payload));
            }
        }
        self.login().await
    }

    pub async fn access_token(&self) -> Option<String> {
        self.tokens.lock().await.access.clone()
    }

    /// The full response body of an authenticated request (partial errors kept);
    /// on UNAUTHENTICATED it signs in again once and retries.
    pub async fn request(&self, query: &str, variables: Value) -> Result<Value, ApiError> {
        self.request_body(&json!({ "query": query, "variables": variables })).await
    }

    async fn request_body(&self, request: &Value) -> Result<Value, ApiError> {
        if self.access_token().await.is_none() {
            self.login().await?;
        }
        let token = self.access_token().await;
        let body = self.post_body(request, token.as_deref()).await?;
        match Self::first_error(&body) {
            Some(ApiError::Graphql { code, .. }) if code == "UNAUTHENTICATED" => {
                self.reauthenticate().await?;
                let token = self.access_token().await;
                self.post_body(request, token.as_deref()).await
            }
            _ => Ok(body),
        }
    }

    /// A typed operation (`graphql_client`): its `data`; any GraphQL error is an error.
    pub async fn run<Q: graphql_client::GraphQLQuery>(&self, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
        let request = serde_json::to_value(Q::build_query(variables)).map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let body = self.request_body(&request).await?;
        if let Some(e) = Self::first_error(&body) {
            return Err(e);
        }
        serde_json::from_value(body["data"].clone())
            .map_err(|e| ApiError::Unreachable(format!("服务器的回答与接口不符：{e}")))
    }

    /// `data` of an authenticated request; any GraphQL error is an error.
    pub async fn query(&self, query: &str, variables: Value) -> Result<Value, ApiError> {
        let body = self.request(query, variables).await?;
        if let Some(e) = Self::first_error(&body) {
            return Err(e);
        }
        Ok(body["data"].clone())
    }
}
