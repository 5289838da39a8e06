//! Abuse limits that are not the GraphQL engine's own (complexity is): query depth
//! (with its own allowance for introspection), aliased fields per document, per-IP
//! rate limits on sign-in, SMS sending and the public bale trace, and the client IP
//! behind trusted proxies.
//! Batch, body and CORS limits live in `http.rs`.
//!
//! The per-IP limits are kept in memory (`governor`, GCRA) and so hold per server
//! instance; the per-account and per-number limits are in the database and hold
//! across instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, Variables};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};


/// Root mutation fields that sign in (or register and sign in): one token each
/// from the caller's IP bucket.
pub const SIGN_IN_FIELDS: [&str; 5] = ["login", "refresh", "growerLogin", "registerInitiator", "registerEnterprise"];
/// Root mutation fields that send an SMS.
pub const SMS_FIELDS: [&str; 1] = ["sendSmsCode"];
/// Root query fields anyone may call without signing in that read the database
/// per call (the public bale trace a QR code opens): one token each, aliases
/// included, from the caller's IP bucket.
pub const PUBLIC_TRACE_FIELDS: [&str; 1] = ["baleTrace"];

/// The caller's address as the limits see it (see [`client_ip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// A network `addr/prefix` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.trim().parse::<IpAddr>().ok()?, Some(p.trim().parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) count as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// `COTTON_TRUSTED_PROXIES`: comma-separated addresses or CIDR networks. Entries
/// that do not parse are logged and ignored.
pub fn parse_trusted(list: &str) -> Vec<Net> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let net = Net::parse(s);
            if net.is_none() {
                tracing::warn!(entry = s, "COTTON_TRUSTED_PROXIES: not an address or CIDR network, ignored");
            }
            net
        })
        .collect()
}

/// The client of a request: the peer address, unless the peer is a trusted proxy;
/// then `X-Forwarded-For` is read from the right, skipping trusted proxies, and the
/// first untrusted address is the client (the leftmost one when all are trusted).
/// A malformed header from a trusted proxy falls back to the peer.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[Net]) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else { return Some(peer) };
    let hops: Option<Vec<IpAddr>> = header.split(',').map(|h| h.trim().parse::<IpAddr>().ok().map(canonical)).collect();
    let Some(hops) = hops.filter(|h| !h.is_empty()) else { return Some(peer) };
    Some(hops.iter().rev().copied().find(|ip| !is_trusted(*ip)).unwrap_or(hops[0]))
}

/// A budget of `n` per `period` (`n = 0`: no limit). Written `N/UNIT` with UNIT one
/// of `s`, `min`, `hour`, `day` (a bare `N` is per minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub n: u32,
    pub period: std::time::Duration,
}

impl Rate {
    pub fn parse(s: &str) -> Option<Rate> {
        let (n, unit) = s.trim().split_once('/').unwrap_or((s.trim(), "min"));
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            _ => return None,
        };
        Some(Rate { n: n.trim().parse().ok()?, period: std::time::Duration::from_secs(secs) })
    }

    /// The configured value, or `default` (with a warning when the value is malformed).
    pub fn from_env(name: &str, value: Option<String>, default: &str) -> Rate {
        let default = Rate::parse(default).expect("valid default rate");
        match value {
            None => default,
            Some(v) => Rate::parse(&v).unwrap_or_else(|| {
                tracing::warn!(name, value = %v, "not a rate like 60/min; the default applies");
                default
            }),
        }
    }
}

/// One keyed GCRA limiter: `n` requests per `period`, bursts up to `n`.
struct Bucket {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    what: &'static str,
}

impl Bucket {
    fn new(per_period: u32, period: std::time::Duration, what: &'static str) -> Option<Bucket> {
        let n = NonZeroU32::new(per_period)?;
        let quota = Quota::with_period(period / per_period)?.allow_burst(n);
        Some(Bucket { limiter: RateLimiter::keyed(quota), what })
    }

    /// Takes `n` tokens for `ip`; the refusal says how long to wait.
    fn take(&self, ip: IpAddr, n: u32) -> Result<(), String> {
        let Some(n) = NonZeroU32::new(n) else { return Ok(()) };
        // Forget idle addresses now and then, so the map stays small.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key_n(&ip, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs() + 1;
                Err(format!("{}过于频繁，请 {wait} 秒后再试", self.what))
            }
            Err(_) => Err(format!("{}过于频繁：一次请求中的次数超过了上限", self.what)),
        }
    }
}

/// How deep an introspection subtree (under `__schema` or `__type`) may nest, or
/// `COTTON_MAX_DEPTH` when that is larger. The standard introspection query of
/// graphql-js and graphql-core (`getIntrospectionQuery()`) nests 15 levels: nine
/// `ofType` levels of its `TypeRef` fragment under `__schema.types.fields.args.type`.
/// Everything outside those subtrees keeps `COTTON_MAX_DEPTH`.
pub const INTROSPECTION_MAX_DEPTH: usize = 20;

/// The limits of one server instance.
pub struct Limits {
    /// `COTTON_MAX_DEPTH`: fields nested in one another, fragments expanded.
    pub max_depth: usize,
    pub max_aliases: usize,
    /// `COTTON_INTROSPECTION=off`: `__schema` / `__type` are refused (FORBIDDEN).
    pub introspection: bool,
    sign_in: Option<Bucket>,
    sms: Option<Bucket>,
    public_trace: Option<Bucket>,
}

impl Limits {
    /// The limits of the configuration's settings (`Config` holds them; this
    /// module does not know `Config`, so the two do not import each other).
    pub fn new(max_depth: usize, max_aliases: usize, introspection: bool, sign_in_per_ip: &Rate, sms_per_ip: &Rate, public_trace_per_ip: &Rate) -> Limits {
        Limits {
            max_depth,
            max_aliases,
            introspection,
            sign_in: Bucket::new(sign_in_per_ip.n, sign_in_per_ip.period, "登录请求"),
            sms: Bucket::new(sms_per_ip.n, sms_per_ip.period, "验证码发送请求"),
            public_trace: Bucket::new(public_trace_per_ip.n, public_trace_per_ip.period, "扫码查询请求"),
        }
    }

    /// Checks a parsed document: aliases, then the caller's sign-in, SMS and
    /// public-trace buckets.
    pub fn check(&self, doc: &ExecutableDocument, ip: Option<IpAddr>) -> Result<(), ServerError> {
        let stats = DocStats::of(doc);
        if stats.aliases > self.max_aliases {
            return Err(refusal(
                format!("请求中的别名字段过多：{} 个，最多 {} 个", stats.aliases, self.max_aliases),
                "VALIDATION",
            ));
        }
        if !self.introspection && stats.introspection {
            return Err(refusal("此服务器已关闭 schema 内省（COTTON_INTROSPECTION=off）".into(), "FORBIDDEN"));
        }
        let intro_max = self.max_depth.max(INTROSPECTION_MAX_DEPTH);
        let depth = Depth::of(doc);
        if depth.plain > self.max_depth {
            return Err(refusal(format!("查询嵌套过深：{} 层，最多 {} 层", depth.plain, self.max_depth), "VALIDATION"));
        }
        if depth.introspection > intro_max {
            return Err(refusal(format!("内省查询嵌套过深：{} 层，最多 {intro_max} 层", depth.introspection), "VALIDATION"));
        }
        // No address (not a TCP peer): nothing to key on, the per-account limits still hold.
        let Some(ip) = ip else { return Ok(()) };
        if let Some(b) = &self.sign_in {
            b.take(ip, stats.sign_in).map_err(|m| refusal(m, "RATE_LIMITED"))?;
        }
        if let Some(b) = &self.sms {
            b.take(ip, stats.sms).map_err(|m| refusal(m, "RATE_LIMITED"))?;
        }
        if let Some(b) = &self.public_trace {
            b.take(ip, stats.public_trace).map_err(|m| refusal(m, "RATE_LIMITED"))?;
        }
        Ok(())
    }
}

fn refusal(message: String, code: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions.get_or_insert_with(Default::default).set("code", code);
    err
}

/// What a document asks for, counted before it runs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DocStats {
    /// Fields with an alias, in every operation and fragment of the document.
    pub aliases: usize,
    /// Root mutation fields that sign in / send SMS, through fragments, in every
    /// mutation of the document (the one that runs is among them).
    pub sign_in: u32,
    pub sms: u32,
    /// Root query fields of the public bale trace, through fragments, in every
    /// query of the document.
    pub public_trace: u32,
    /// A query asks for `__schema` or `__type` at its root.
    pub introspection: bool,
}

impl DocStats {
    pub fn of(doc: &ExecutableDocument) -> DocStats {
        let mut stats = DocStats::default();
        let ops: Vec<_> = match &doc.operations {
            DocumentOperations::Single(op) => vec![op],
            DocumentOperations::Multiple(map) => map.values().collect(),
        };
        for op in &ops {
            stats.aliases += count_aliases(&op.node.selection_set.node);
        }
        for frag in doc.fragments.values() {
            stats.aliases += count_aliases(&frag.node.selection_set.node);
        }
        for op in ops.iter().filter(|op| op.node.ty == OperationType::Query) {
            let mut names = Vec::new();
            root_fields(doc, &op.node.selection_set.node, &mut names, 0);
            stats.introspection |= names.iter().any(|n| n == "__schema" || n == "__type");
            stats.public_trace += names.iter().filter(|n| PUBLIC_TRACE_FIELDS.contains(&n.as_str())).count() as u32;
        }
        for op in ops.iter().filter(|op| op.node.ty == OperationType::Mutation) {
            let mut names = Vec::new();
            root_fields(doc, &op.node.selection_set.node, &mut names, 0);
            stats.sign_in += names.iter().filter(|n| SIGN_IN_FIELDS.contains(&n.as_str())).count() as u32;
            stats.sms += names.iter().filter(|n| SMS_FIELDS.contains(&n.as_str())).count() as u32;
        }
        stats
    }
}

/// The deepest nesting of fields in a document (every operation, fragments
/// expanded), apart for paths inside an introspection field (`__schema`, `__type`)
/// and for all others. Depth counts fields as async-graphql's `limit_depth` does:
/// `{ a { b } }` is 2.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    pub plain: usize,
    pub introspection: usize,
}

impl Depth {
    pub fn of(doc: &ExecutableDocument) -> Depth {
        let mut walk = DepthWalk { doc, memo: HashMap::new(), stack: Vec::new() };
        let ops: Vec<_> = match &doc.operations {
            DocumentOperations::Single(op) => vec![op],
            DocumentOperations::Multiple(map) => map.values().collect(),
        };
        ops.iter().fold(Depth::default(), |acc, op| acc.max(walk.set(&op.node.selection_set.node, false)))
    }

    fn max(self, other: Depth) -> Depth {
        Depth { plain: self.plain.max(other.plain), introspection: self.introspection.max(other.introspection) }
    }
}

/// Depth relative to a selection set, each fragment computed once per mode (a
/// fragment spread many times costs one walk, so nesting spreads cannot make this
/// exponential); a spread of a fragment already being walked (a cycle, which
/// validation refuses afterwards) adds nothing.
struct DepthWalk<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<(&'a str, bool), Depth>,
    stack: Vec<&'a str>,
}

impl<'a> DepthWalk<'a> {
    fn set(&mut self, set: &'a SelectionSet, intro: bool) -> Depth {
        let mut depth = Depth::default();
        for item in &set.items {
            let d = match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    let intro = intro || name == "__schema" || name == "__type";
                    let below = self.set(&f.node.selection_set.node, intro);
                    if intro {
                        Depth { plain: 0, introspection: 1 + below.introspection.max(below.plain) }
                    } else {
                        Depth { plain: 1 + below.plain, introspection: if below.introspection > 0 { 1 + below.introspection } else { 0 } }
                    }
                }
                Selection::InlineFragment(f) => self.set(&f.node.selection_set.node, intro),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if let Some(d) = self.memo.get(&(name, intro)) {
                        *d
                    } else if self.stack.contains(&name) {
                        Depth::default()
                    } else if let Some(frag) = self.doc.fragments.get(&s.node.fragment_name.node) {
                        self.stack.push(name);
                        let d = self.set(&frag.node.selection_set.node, intro);
                        self.stack.pop();
                        self.memo.insert((name, intro), d);
                        d
                    } else {
                        Depth::default()
                    }
                }
            };
            depth = depth.max(d);
        }
        depth
    }
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0, // counted once, with the fragment
        })
        .sum()
}

/// The root field names of a selection set, fragments expanded (a spread cycle is
/// refused by validation; `depth` only keeps this walk finite meanwhile).
fn root_fields(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push(f.node.name.node.to_string()),
            Selection::InlineFragment(f) => root_fields(doc, &f.node.selection_set.node, out, depth + 1),
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    root_fields(doc, &frag.node.selection_set.node, out, depth + 1);
                }
            }
        }
    }
}

/// The schema extension that applies [`Limits`] to every operation, over HTTP and
/// WebSocket alike, right after parsing (before validation and execution).
pub struct LimitsExtension(pub Arc<Limits>);

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsGuard { limits: self.0.clone(), missing: Default::default() })
    }
}

/// One per request.
struct LimitsGuard {
    limits: Arc<Limits>,
    /// Per operation of the document (`None`: the only one), the required variables
    /// (non-null, no default) the request left out or sent as null. The engine would
    /// only notice them in the resolver that reads them, as a field error; the spec
    /// makes them a request error (CoerceVariableValues), refused before execution.
    missing: std::sync::Mutex<Vec<(Option<String>, Vec<String>)>>,
}

fn missing_variables(doc: &ExecutableDocument, variables: &Variables) -> Vec<(Option<String>, Vec<String>)> {
    let ops: Vec<(Option<String>, &async_graphql::parser::types::OperationDefinition)> = match &doc.operations {
        DocumentOperations::Single(op) => vec![(None, &op.node)],
        DocumentOperations::Multiple(map) => map.iter().map(|(name, op)| (Some(name.to_string()), &op.node)).collect(),
    };
    ops.into_iter()
        .map(|(name, op)| {
            let missing = op
                .variable_definitions
                .iter()
                .filter(|d| !d.node.var_type.node.nullable && d.node.default_value.is_none())
                .filter(|d| variables.get(&d.node.name.node).is_none_or(|v| *v == async_graphql::Value::Null))
                .map(|d| d.node.name.node.to_string())
                .collect();
            (name, missing)
        })
        .collect()
}

/// Parsed documents by query text. Clients send the same few operations over and
/// over with different variables; cloning a parsed document costs a fraction of
/// parsing it again (the parser was ~4 % of the server's CPU under the traceCard
/// load). Only documents that parsed are kept; the limits below still run on
/// every request.
static PARSED: std::sync::LazyLock<std::sync::RwLock<HashMap<String, ExecutableDocument>>> = std::sync::LazyLock::new(Default::default);
/// Distinct operations kept; beyond that, new ones are parsed every time (a client
/// generating endless distinct queries must not grow the server's memory).
const PARSED_MAX: usize = 2_000;
/// Longer query texts are not kept.
const PARSED_MAX_LEN: usize = 16 * 1024;

async fn parse_cached(ctx: &ExtensionContext<'_>, query: &str, variables: &Variables, next: NextParseQuery<'_>) -> ServerResult<ExecutableDocument> {
    if let Some(doc) = PARSED.read().expect("parse cache lock").get(query) {
        return Ok(doc.clone());
    }
    let doc = next.run(ctx, query, variables).await?;
    if query.len() <= PARSED_MAX_LEN {
        let mut cache = PARSED.write().expect("parse cache lock");
        if cache.len() < PARSED_MAX {
            cache.insert(query.to_string(), doc.clone());
        }
    }
    Ok(doc)
}

#[async_trait::async_trait]
impl Extension for LimitsGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = parse_cached(ctx, query, variables, next).await?;
        let ip = ctx.data_opt::<ClientIp>().map(|c| c.0);
        self.limits.check(&doc, ip)?;
        crate::input_text::check(&doc, variables)?;
        *self.missing.lock().expect("missing variables lock") = missing_variables(&doc, variables);
        Ok(doc)
    }

    async fn execute(&self, ctx: &ExtensionContext<'_>, operation_name: Option<&str>, next: NextExecute<'_>) -> Response {
        let missing = {
            let ops = self.missing.lock().expect("missing variables lock");
            ops.iter().find(|(name, _)| name.as_deref() == operation_name).map(|(_, m)| m.clone()).unwrap_or_default()
        };
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|n| format!("${n}")).collect();
            return Response::from_errors(vec![refusal(format!("缺少必填变量：{}", names.join("、")), "VALIDATION")]);
        }
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn client_ip_only_trusts_listed_proxies() {
        let trusted = parse_trusted("10.0.0.0/8, 127.0.0.1, bogus");
        assert_eq!(trusted.len(), 2);
        // An untrusted peer: its header is ignored.
        assert_eq!(client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &trusted), Some(ip("203.0.113.9")));
        // A trusted peer: the first untrusted hop from the right.
        assert_eq!(client_ip(Some(ip("127.0.0.1")), Some("6.6.6.6, 1.2.3.4, 10.1.1.1"), &trusted), Some(ip("1.2.3.4")));
        // All trusted: the leftmost.
        assert_eq!(client_ip(Some(ip("127.0.0.1")), Some("10.2.2.2, 10.1.1.1"), &trusted), Some(ip("10.2.2.2")));
        // Malformed or missing header: the peer.
        assert_eq!(client_ip(Some(ip("127.0.0.1")), Some("x, 1.2.3.4"), &trusted), Some(ip("127.0.0.1")));
        assert_eq!(client_ip(Some(ip("127.0.0.1")), None, &trusted), Some(ip("127.0.0.1")));
        // IPv4-mapped IPv6 peers count as IPv4.
        assert_eq!(client_ip(Some(ip("::ffff:127.0.0.1")), Some("1.2.3.4"), &trusted), Some(ip("1.2.3.4")));
    }

    #[test]
    fn doc_stats_count_aliases_and_root_fields_through_fragments() {
        let doc = async_graphql::parser::parse_query(
            "mutation M { a: login(username:\"x\", password:\"y\") ...F ... on Mutation { sendSmsCode(phone:\"1\") } }
             fragment F on Mutation { b: refresh(refreshToken:\"r\") { c: accessToken } }
             query Q { me { id } }",
        )
        .unwrap();
        assert_eq!(DocStats::of(&doc), DocStats { aliases: 3, sign_in: 2, sms: 1, public_trace: 0, introspection: false });
        // Every baleTrace of every query counts, aliased or through a fragment.
        let doc = async_graphql::parser::parse_query(
            "query A { a: baleTrace(barcode: \"B1\") { season } b: baleTrace(barcode: \"B2\") { season } ...T }
             query B { baleTrace(barcode: \"B3\") { season } }
             fragment T on Query { baleTrace(barcode: \"B4\") { season } }",
        )
        .unwrap();
        assert_eq!(DocStats::of(&doc).public_trace, 4);
        let doc = async_graphql::parser::parse_query("{ __typename ...I } fragment I on Query { __type(name: \"Query\") { name } }").unwrap();
        assert!(DocStats::of(&doc).introspection);
    }

    #[test]
    fn depth_counts_fields_through_fragments_and_apart_for_introspection() {
        let depth = |q: &str| Depth::of(&async_graphql::parser::parse_query(q).unwrap());
        assert_eq!(depth("{ a { b } }"), Depth { plain: 2, introspection: 0 });
        assert_eq!(depth("{ a { ...F ... on X { c { d } } } } fragment F on Y { b { e } }"), Depth { plain: 3, introspection: 0 });
        assert_eq!(
            depth("{ __schema { types { ...T } } a { b } } fragment T on __Type { name ofType { ofType { name } } }"),
            Depth { plain: 2, introspection: 5 }
        );
        assert_eq!(depth("{ __type(name: \"Q\") { name } __typename }"), Depth { plain: 1, introspection: 2 });
        // A fragment cycle (refused by validation afterwards) ends the walk.
        assert_eq!(depth("{ a { ...F } } fragment F on X { b { ...F } }"), Depth { plain: 2, introspection: 0 });
        // Spreading a fragment many times costs one walk of it.
        let mut q = String::from("{ a { ...F0 } }");
        for i in 0..40 {
            q.push_str(&format!(" fragment F{i} on X {{ ...F{} ...F{} }}", i + 1, i + 1));
        }
        q.push_str(" fragment F40 on X { z }");
        assert_eq!(depth(&q), Depth { plain: 2, introspection: 0 });
        // The standard introspection query nests 15 levels.
        let full = format!("{{ __schema {{ types {{ fields {{ args {{ type {{ {} }} }} }} }} }} }}", "ofType { ".repeat(9) + "name" + &" }".repeat(9));
        assert_eq!(depth(&full).introspection, 15);
    }

    #[test]
    fn rates_parse() {
        assert_eq!(Rate::parse("60"), Some(Rate { n: 60, period: std::time::Duration::from_secs(60) }));
        assert_eq!(Rate::parse("5/hour"), Some(Rate { n: 5, period: std::time::Duration::from_secs(3600) }));
        assert_eq!(Rate::parse("0/day").map(|r| r.n), Some(0));
        assert_eq!(Rate::parse("5/fortnight"), None);
        assert_eq!(Rate::parse("many"), None);
    }

    #[test]
    fn bucket_refuses_after_the_burst() {
        let b = Bucket::new(3, std::time::Duration::from_secs(60), "登录请求").unwrap();
        let a = ip("192.0.2.1");
        assert!(b.take(a, 2).is_ok());
        assert!(b.take(a, 1).is_ok());
        assert!(b.take(a, 1).unwrap_err().contains("秒后再试"));
        assert!(b.take(ip("192.0.2.2"), 3).is_ok(), "another address has its own bucket");
        assert!(b.take(ip("192.0.2.3"), 4).is_err(), "more than the burst at once");
        assert!(Bucket::new(0, std::time::Duration::from_secs(60), "x").is_none(), "0 turns the limit off");
    }
}
