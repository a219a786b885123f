use desk_core::ValidationError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),

    #[error("数据文件由较新版本（结构版本 {found}）写入，本程序只支持到 {supported}，请先升级 (the store was written by a newer version, schema {found}; this program supports up to {supported}: please update)")]
    TooNew { found: i64, supported: i64 },

    #[error("数据文件损坏：{0} 无法读取 (the store is damaged: cannot read {0})")]
    Corrupt(&'static str),

    #[error("导入失败，有 {} 行错误，未导入任何记录 (import rejected: {} bad rows, nothing imported)", .0.len(), .0.len())]
    Import(Vec<ImportRowError>),

    #[error("无法读取文件 {path}：{source} (cannot read file)")]
    File {
        path: String,
        source: std::io::Error,
    },

    /// Writing an export file failed; the message says why (it is already bilingual).
    #[error(transparent)]
    Export(#[from] desk_export::ExportError),

    /// Talking to the server failed; the message says why, for people.
    #[error("{0}")]
    Remote(String),

    #[error("密钥打不开本机数据 {path}：数据未被改动。请用原来的密钥文件，或删除数据目录后重新登录同步 (the key does not open the store {path}; nothing was changed: restore its key file, or remove the data directory and sign in to sync again)")]
    WrongKey { path: String },

    #[error("本机数据已加密，但找不到它的密钥文件 {path}：数据未被改动 (the store is encrypted and its key file {path} is missing; nothing was changed)")]
    KeyMissing { path: String },

    #[error("密钥文件 {path} 已损坏，无法读取：数据未被改动 (the key file {path} is damaged; nothing was changed)")]
    KeyUnreadable { path: String },

    #[error("数据库错误 (database error): {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// One bad row of an import: its line in the file, the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ImportRowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "第 {} 行 (line {}) {}",
            self.line, self.line, self.message
        )
    }
}

impl StoreError {
    /// The validation error behind this one, if the input was at fault.
    pub fn validation(&self) -> Option<&ValidationError> {
        match self {
            StoreError::Invalid(e) => Some(e),
            _ => None,
        }
    }
}
