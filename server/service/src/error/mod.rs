//! One typed error for the whole API. Every variant maps to an `ErrorCode` of the
//! contract (`extensions.code`) and carries a Chinese message for the operator.

pub mod cards;
pub mod tickets;
pub mod units;

use cotton_domain::RuleError;
use cotton_store::StoreError;

/// The contract's error codes (`extensions.code`), plus `INTERNAL` and
/// `UNAVAILABLE` for failures that are not the caller's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ErrorCode {
    /// 未登录，或令牌无效、已过期：请登录或刷新令牌
    Unauthenticated,
    /// 已登录，但角色或辖区无权执行此操作（也用于关闭的内省、不允许的跨域来源）
    Forbidden,
    /// 对象不存在或不在调用者的辖区内
    NotFound,
    /// 输入无效：格式、长度、取值范围，语法与未知字段，深度、复杂度、别名与批量等上限
    Validation,
    /// 与已有数据冲突（重复提交、改变不可改的字段）
    Conflict,
    /// 请求过于频繁（按 IP、账号或手机号限流），消息说明需等待多久
    RateLimited,
    /// 追溯单元的面积低于季节规则的下限
    AreaTooSmall,
    /// 地块已在另一个有效的追溯单元中
    PlotTaken,
    /// 追溯单元的状态不允许此操作（已通过审核、已解散或已开始加工）
    UnitLocked,
    /// 磅单的地块不在一个已通过审核的追溯单元中，不能打印追溯卡
    UnitNotApproved,
    /// 磅单未在称重后规定时间内实时上传，不能打印追溯卡
    TicketLate,
    /// 磅单已打印追溯卡，不能再修改
    TicketCarded,
    /// 追溯卡号校验位错误
    CardChecksum,
    /// 文件无效：表头不符、格式损坏、过大
    BadFile,
    /// 驱动插件（采集器、打印机）失败或未加载
    Plugin,
    /// 暂时不可用（数据库连接中断等），可稍后重试
    Unavailable,
    /// 服务器内部错误（详情只在服务器日志中）
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Validation,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::AreaTooSmall,
        ErrorCode::PlotTaken,
        ErrorCode::UnitLocked,
        ErrorCode::UnitNotApproved,
        ErrorCode::TicketLate,
        ErrorCode::TicketCarded,
        ErrorCode::CardChecksum,
        ErrorCode::BadFile,
        ErrorCode::Plugin,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::AreaTooSmall => "AREA_TOO_SMALL",
            ErrorCode::PlotTaken => "PLOT_TAKEN",
            ErrorCode::UnitLocked => "UNIT_LOCKED",
            ErrorCode::UnitNotApproved => "UNIT_NOT_APPROVED",
            ErrorCode::TicketLate => "TICKET_LATE",
            ErrorCode::TicketCarded => "TICKET_CARDED",
            ErrorCode::CardChecksum => "CARD_CHECKSUM",
            ErrorCode::BadFile => "BAD_FILE",
            ErrorCode::Plugin => "PLUGIN",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// The API's error. Deliberately not `Display`: async-graphql converts any
/// `Display` error into a GraphQL error *without* a code, so leaving it out makes
/// `?` in a resolver go through our conversion, which always sets `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    Validation(String),
    Conflict(String),
    RateLimited(String),
    BadFile(String),
    Plugin(String),
    /// An area's own refusal, typed with its fields (the code is chosen in
    /// [`AppError::code`], the message is the variant's Chinese text).
    Ticket(tickets::TicketError),
    Card(cards::CardError),
    Unit(units::UnitError),
    Rule(RuleError),
    Unavailable(String),
    /// A concurrent change of the same rows won the race; the unit of work
    /// (`tx.rs`) runs again, and reports CONFLICT with this message if it keeps losing.
    Contended(String),
    Database(StoreError),
    Internal(String),
}

impl From<RuleError> for AppError {
    fn from(e: RuleError) -> Self {
        AppError::Rule(e)
    }
}

impl From<tickets::TicketError> for AppError {
    fn from(e: tickets::TicketError) -> Self {
        AppError::Ticket(e)
    }
}

impl From<cards::CardError> for AppError {
    fn from(e: cards::CardError) -> Self {
        AppError::Card(e)
    }
}

impl From<units::UnitError> for AppError {
    fn from(e: units::UnitError) -> Self {
        AppError::Unit(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // The database went away under this connection: the caller may retry.
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            e => AppError::Database(e),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Validation(_) => ErrorCode::Validation,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::BadFile(_) => ErrorCode::BadFile,
            AppError::Plugin(_) => ErrorCode::Plugin,
            AppError::Ticket(tickets::TicketError::Carded { .. }) => ErrorCode::TicketCarded,
            AppError::Card(cards::CardError::Late { .. }) => ErrorCode::TicketLate,
            AppError::Card(
                cards::CardError::PlotOutsideUnits { .. }
                | cards::CardError::PlotsInSeveralUnits
                | cards::CardError::UnitNotApproved { .. },
            ) => ErrorCode::UnitNotApproved,
            AppError::Unit(units::UnitError::PlotTaken { .. } | units::UnitError::PlotTakenConcurrently) => ErrorCode::PlotTaken,
            AppError::Rule(RuleError::Invalid(_)) => ErrorCode::Validation,
            AppError::Rule(RuleError::CardChecksum(_)) => ErrorCode::CardChecksum,
            AppError::Rule(RuleError::AreaTooSmall { .. }) => ErrorCode::AreaTooSmall,
            AppError::Rule(RuleError::UnitLocked(_)) => ErrorCode::UnitLocked,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Contended(_) => ErrorCode::Conflict,
            AppError::Database(StoreError::UniqueViolation { .. }) => ErrorCode::Conflict,
            AppError::Database(_) | AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("请先登录".into())
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("无权执行此操作".into())
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// True for a unique-key violation, so callers can turn it into a precise CONFLICT.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, AppError::Database(StoreError::UniqueViolation { .. }))
    }

    /// The Chinese message shown to the operator.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Validation(m)
            | AppError::Conflict(m)
            | AppError::RateLimited(m)
            | AppError::BadFile(m)
            | AppError::Plugin(m)
            | AppError::Unavailable(m)
            | AppError::Contended(m) => m.clone(),
            AppError::Rule(e) => e.to_string(),
            AppError::Ticket(e) => e.to_string(),
            AppError::Card(e) => e.to_string(),
            AppError::Unit(e) => e.to_string(),
            AppError::Database(StoreError::UniqueViolation { .. }) => "数据已存在，请勿重复提交".into(),
            AppError::Database(_) | AppError::Internal(_) => "服务器内部错误".into(),
        }
    }
}

#[cfg(feature = "graphql")]
impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        if matches!(e.code(), ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::error!(error = ?e, "request failed");
        }
        let code = e.code().as_str();
        use async_graphql::ErrorExtensions;
        async_graphql::Error::new(e.message()).extend_with(|_, ext| ext.set("code", code))
    }
}

impl From<cotton_plugin_host::HostError> for AppError {
    fn from(e: cotton_plugin_host::HostError) -> Self {
        use cotton_plugin_host::HostError as H;
        match e {
            H::Plugin(m) | H::NoPlugin(m) => AppError::Plugin(m),
            H::BadFile(m) => AppError::BadFile(m),
            H::Invalid(m) => AppError::Validation(m),
        }
    }
}
