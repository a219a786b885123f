use thiserror::Error;

/// Why a record or an action was refused. Every variant names the field it concerns, so a form
/// can show the message beside that field. Messages are Chinese first, English second.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("{field}：必填 (required)")]
    Required { field: &'static str },

    #[error("{field}：最多 {max} 个字，现有 {len} 个 (at most {max} characters, got {len})")]
    TooLong {
        field: &'static str,
        max: usize,
        len: usize,
    },

    #[error("{field}：“{value}”无效，应为 {expected} (invalid value, expected {expected})")]
    Invalid {
        field: &'static str,
        value: String,
        expected: String,
    },

    #[error("{field}：统一社会信用代码应为 18 位，现有 {len} 位 (a credit code has 18 characters, got {len})")]
    CreditCodeLength { field: &'static str, len: usize },

    #[error("{field}：第 {position} 位“{found}”不是统一社会信用代码允许的字符 (character {position} is not allowed in a credit code)")]
    CreditCodeCharacter {
        field: &'static str,
        position: usize,
        found: char,
    },

    #[error("{field}：校验位应为“{expected}”，实为“{found}” (check character should be {expected}, got {found})")]
    CreditCodeCheck {
        field: &'static str,
        expected: char,
        found: char,
    },

    #[error("{field}：期限 {deadline} 早于诉求提出日期 {raised} (deadline is before the appeal was raised)")]
    DeadlineBeforeRaised {
        field: &'static str,
        deadline: String,
        raised: String,
    },

    #[error("status：诉求不能从“{from}”{action_zh} (an appeal cannot be {action_en} from {from})")]
    IllegalTransition {
        from: &'static str,
        action_zh: &'static str,
        action_en: &'static str,
    },

    #[error("action：{role_zh}账号不能{action_zh}此诉求 (a {role} account may not do this: {action_en})")]
    NotPermitted {
        role_zh: &'static str,
        role: &'static str,
        action_zh: &'static str,
        action_en: &'static str,
    },

    #[error("{field}：只能通过办理操作（派单、办结、评价等）改变 (changes only through an action on the appeal: dispatch, resolve, confirm, …)")]
    Derived { field: &'static str },

    #[error("{field}：不存在编号为 {id} 的{entity_zh} (no {entity} with id {id})")]
    NotFound {
        field: &'static str,
        entity: &'static str,
        entity_zh: &'static str,
        id: String,
    },

    #[error("{field}：{entity_zh} {id} 已作废 ({entity} {id} is void)")]
    Voided {
        field: &'static str,
        entity: &'static str,
        entity_zh: &'static str,
        id: String,
    },

    #[error("{field}：“{value}”重复，已有同名记录 (already exists)")]
    Duplicate { field: &'static str, value: String },
}

impl ValidationError {
    /// The field the error concerns, as named in the record (and in a form).
    pub fn field(&self) -> &'static str {
        use ValidationError::*;
        match self {
            Required { field }
            | TooLong { field, .. }
            | Invalid { field, .. }
            | CreditCodeLength { field, .. }
            | CreditCodeCharacter { field, .. }
            | CreditCodeCheck { field, .. }
            | DeadlineBeforeRaised { field, .. }
            | NotFound { field, .. }
            | Voided { field, .. }
            | Duplicate { field, .. }
            | Derived { field } => field,
            IllegalTransition { .. } => "status",
            NotPermitted { .. } => "action",
        }
    }

    /// The values its message is made of, by name, for the UI to word it in its own language
    /// (`field` apart: [`ValidationError::field`]). Names ending in `_zh` and `_en` are the
    /// same thing in each language.
    pub fn params(&self) -> std::collections::BTreeMap<&'static str, String> {
        use ValidationError::*;
        let pairs: Vec<(&'static str, String)> = match self {
            Required { .. } | Derived { .. } => vec![],
            TooLong { max, len, .. } => vec![("max", max.to_string()), ("len", len.to_string())],
            Invalid {
                value, expected, ..
            } => vec![("value", value.clone()), ("expected", expected.clone())],
            CreditCodeLength { len, .. } => vec![("len", len.to_string())],
            CreditCodeCharacter {
                position, found, ..
            } => vec![
                ("position", position.to_string()),
                ("found", found.to_string()),
            ],
            CreditCodeCheck {
                expected, found, ..
            } => vec![
                ("expected", expected.to_string()),
                ("found", found.to_string()),
            ],
            DeadlineBeforeRaised {
                deadline, raised, ..
            } => vec![("deadline", deadline.clone()), ("raised", raised.clone())],
            IllegalTransition {
                from,
                action_zh,
                action_en,
            } => vec![
                ("from", (*from).to_owned()),
                ("action_zh", (*action_zh).to_owned()),
                ("action_en", (*action_en).to_owned()),
            ],
            NotPermitted {
                role_zh,
                role,
                action_zh,
                action_en,
            } => vec![
                ("role_zh", (*role_zh).to_owned()),
                ("role_en", (*role).to_owned()),
                ("action_zh", (*action_zh).to_owned()),
                ("action_en", (*action_en).to_owned()),
            ],
            NotFound {
                entity,
                entity_zh,
                id,
                ..
            }
            | Voided {
                entity,
                entity_zh,
                id,
                ..
            } => vec![
                ("entity_en", (*entity).to_owned()),
                ("entity_zh", (*entity_zh).to_owned()),
                ("id", id.clone()),
            ],
            Duplicate { value, .. } => vec![("value", value.clone())],
        };
        pairs.into_iter().collect()
    }

    /// A stable machine-readable code, for JSON output and translations in the UI.
    pub fn code(&self) -> &'static str {
        use ValidationError::*;
        match self {
            Required { .. } => "required",
            TooLong { .. } => "too_long",
            Invalid { .. } => "invalid",
            CreditCodeLength { .. } => "credit_code_length",
            CreditCodeCharacter { .. } => "credit_code_character",
            CreditCodeCheck { .. } => "credit_code_check",
            DeadlineBeforeRaised { .. } => "deadline_before_raised",
            IllegalTransition { .. } => "illegal_transition",
            NotPermitted { .. } => "not_permitted",
            NotFound { .. } => "not_found",
            Voided { .. } => "voided",
            Duplicate { .. } => "duplicate",
            Derived { .. } => "derived_field",
        }
    }
}
