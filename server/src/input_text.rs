//! Every text the API takes in, checked in one place before anything runs
//! (issue 16): a length that fits the field's meaning, and no control
//! characters (PostgreSQL refuses NUL in text; the others have no business in a
//! name, a number or a reason). Both backends give the same `VALIDATION`.
//!
//! The check walks the arguments of every field of the document — literals and
//! the variables they name, into input objects and lists — and judges each
//! string by the name of the argument or input field that carries it (a list's
//! strings by the list's name). Names mean the same thing across the schema
//! (`name` is a person's, org's, unit's or line's name; `reason` a review
//! reason), so one table serves all; the domain validators add the exact rules
//! (an ID number's 18 characters, a card number's check digit) afterwards.
//! Imports have their own single place: `cotton_import::sheet`.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, Variables};
use async_graphql_value::{ConstValue, Value};

/// (argument or input field, most characters, what the operator calls it).
const LIMITS: &[(&str, usize, &str)] = &[
    ("name", 64, "名称"),
    ("reason", 500, "理由"),
    ("barcode", 32, "棉包条码"),
    ("cardNo", 32, "追溯卡号"),
    ("cardNos", 32, "追溯卡号"),
    ("code", 32, "编码或验证码"),
    ("enterpriseCode", 32, "企业代码"),
    ("creditCode", 32, "统一社会信用代码"),
    ("idNumber", 32, "身份证号"),
    ("growerIdNumber", 32, "身份证号"),
    ("phone", 20, "手机号"),
    ("username", 64, "账号"),
    ("verifierUsername", 64, "校验账号"),
    ("password", 128, "密码"),
    ("oldPassword", 128, "原密码"),
    ("newPassword", 128, "新密码"),
    ("verifierPassword", 128, "校验账号密码"),
    ("refreshToken", 512, "刷新令牌"),
    ("ticketNo", 32, "磅单号"),
    ("printer", 32, "打印机型号"),
    ("model", 32, "打印机型号"),
    ("search", 64, "搜索内容"),
    ("location", 64, "位置"),
    ("variety", 64, "品种"),
    ("payload", 2048, "二维码内容"),
    ("after", 128, "分页游标"),
    ("before", 128, "分页游标"),
];

/// Any other text (ids, decimals, times and fields added later): generous, but bounded.
const DEFAULT_LIMIT: usize = 256;

fn limit_of(field: &str) -> (usize, &'static str) {
    LIMITS.iter().find(|(n, _, _)| *n == field).map(|(_, max, what)| (*max, *what)).unwrap_or((DEFAULT_LIMIT, "输入内容"))
}

/// The refusal of one text, or `None` when it is fine.
pub fn judge(field: &str, text: &str) -> Option<String> {
    let (max, what) = limit_of(field);
    // Tab and line breaks are text (a multi-line reason); every other control character is not.
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Some(format!("{what}（{field}）含有不允许的控制字符（U+{:04X}）", c as u32));
    }
    let n = text.chars().count();
    (n > max).then(|| format!("{what}（{field}）过长：最多{max}个字符，当前为{n}个"))
}

/// Checks every text argument of `doc` (with `variables`); the first refusal is
/// a `VALIDATION` request error.
pub fn check(doc: &ExecutableDocument, variables: &Variables) -> Result<(), ServerError> {
    let mut walk = Walk { variables, used: Vec::new(), refusal: None };
    for (_, op) in doc.operations.iter() {
        walk.selection_set(&op.node.selection_set.node);
    }
    for fragment in doc.fragments.values() {
        walk.selection_set(&fragment.node.selection_set.node);
    }
    // Variables no argument names (GraphQL refuses those later) are bounded too.
    for (name, value) in variables.iter() {
        if !walk.used.iter().any(|u| u == name.as_str()) {
            walk.constant(name.as_str(), value);
        }
    }
    match walk.refusal {
        None => Ok(()),
        Some(message) => {
            let mut err = ServerError::new(message, None);
            err.extensions.get_or_insert_with(Default::default).set("code", "VALIDATION");
            Err(err)
        }
    }
}

struct Walk<'a> {
    variables: &'a Variables,
    /// Variables some argument names (judged by that argument's name).
    used: Vec<String>,
    refusal: Option<String>,
}

impl Walk<'_> {
    fn selection_set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            if self.refusal.is_some() {
                return;
            }
            match &item.node {
                Selection::Field(f) => {
                    for (name, value) in &f.node.arguments {
                        self.value(name.node.as_str(), &value.node);
                    }
                    self.selection_set(&f.node.selection_set.node);
                }
                Selection::InlineFragment(i) => self.selection_set(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => {} // walked with the fragments
            }
        }
    }

    fn text(&mut self, field: &str, s: &str) {
        if self.refusal.is_none() {
            self.refusal = judge(field, s);
        }
    }

    fn value(&mut self, field: &str, v: &Value) {
        match v {
            Value::String(s) => self.text(field, s),
            Value::List(items) => items.iter().for_each(|i| self.value(field, i)),
            Value::Object(map) => map.iter().for_each(|(k, v)| self.value(k.as_str(), v)),
            Value::Variable(name) => {
                self.used.push(name.to_string());
                if let Some(c) = self.variables.get(&Name::new(name.as_str())) {
                    self.constant(field, c);
                }
            }
            _ => {}
        }
    }

    fn constant(&mut self, field: &str, v: &ConstValue) {
        match v {
            ConstValue::String(s) => self.text(field, s),
            ConstValue::List(items) => items.iter().for_each(|i| self.constant(field, i)),
            ConstValue::Object(map) => map.iter().for_each(|(k, v)| self.constant(k.as_str(), v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(query: &str, vars: serde_json::Value) -> Result<(), String> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        check(&doc, &Variables::from_json(vars)).map_err(|e| e.message)
    }

    #[test]
    fn lengths_fit_the_field_and_control_characters_are_refused() {
        assert!(run(r#"mutation { login(username: "tuan1", password: "x") { accessToken } }"#, serde_json::json!({})).is_ok());
        let e = run("mutation { login(username: \"tuan1\\u0000\", password: \"x\") { accessToken } }", serde_json::json!({})).unwrap_err();
        assert!(e.contains("控制字符") && e.contains("U+0000"), "{e}");
        // Through a variable, inside an input object, inside a list.
        let q = "mutation($i: TicketInput!) { uploadTicket(input: $i) { id } }";
        let e = run(q, serde_json::json!({ "i": { "ticketNo": "T".repeat(33) } })).unwrap_err();
        assert_eq!(e, "磅单号（ticketNo）过长：最多32个字符，当前为33个");
        let q = "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { cardNo } }";
        assert!(run(q, serde_json::json!({ "l": "1", "c": ["TC2600000000011", "TC26\u{1}"] })).is_err());
        // A reason may span lines; it may not exceed 500 characters.
        let q = "mutation($r: String!) { revokeReview(id: 1, reason: $r) { id } }";
        assert!(run(q, serde_json::json!({ "r": "第一行\n第二行\t完" })).is_ok());
        assert!(run(q, serde_json::json!({ "r": "理".repeat(500) })).is_ok());
        assert!(run(q, serde_json::json!({ "r": "理".repeat(501) })).is_err());
        // A field not in the table: the default bound.
        assert!(run("{ orgs(parentId: $p) { id } }", serde_json::json!({ "p": "9".repeat(257) })).is_err());
        // Fragments are walked too.
        let q = "query { ...F } fragment F on Query { traceCard(cardNo: \"TC\\u0007\") { id } }";
        assert!(run(q, serde_json::json!({})).is_err());
    }
}
