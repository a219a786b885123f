//! `desk-server serve` runs the server; `desk-server admin …` administers it from its machine.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use axum_server::tls_rustls::RustlsConfig;
use clap::{Args, Parser, Subcommand};
use desk_core::model::DepartmentLevel;
use desk_server::config::Config;
use desk_server::db::Db;
use desk_server::scope::Role;
use desk_server::{admin, backup, tls, AppState};

/// 流动办公桌 Mobile Desk: the office's sync server.
#[derive(Parser)]
#[command(name = "desk-server", version, about)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Settings {
    /// A TOML file with any of: db, listen, max_body_bytes, max_batch_ops,
    /// max_clock_ahead_secs, db_concurrency, tls_cert_file, tls_key_file, public_url, …
    /// (README, "Running the server").
    #[arg(long, global = true, env = "DESK_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite:///path/desk.db (default: sqlite://desk-server.db) or postgres://user@host/db
    #[arg(long, global = true, env = "DESK_DB")]
    db: Option<String>,
    /// The address enterprises reach the server at, for the portal's links (default: the
    /// listening address), e.g. https://desk.example.gov.cn
    #[arg(long, global = true, env = "DESK_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API until SIGINT or SIGTERM; requests in flight finish first.
    Serve {
        /// Address to listen on (default 127.0.0.1:8700).
        #[arg(long, env = "DESK_LISTEN")]
        listen: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM), read again on SIGHUP.
        #[arg(long, env = "DESK_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<String>,
        /// The certificate's private key (PEM).
        #[arg(long, env = "DESK_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<String>,
    },
    /// Administer accounts, parks, departments and devices.
    #[command(subcommand)]
    Admin(AdminCmd),
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Create an administrator (the first one, on a fresh server).
    CreateAdmin {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a user: leader (whole zone), officer (--park …) or department (--department …).
    CreateUser {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// admin, leader, officer or department
        #[arg(long)]
        role: String,
        /// Park id or name (repeatable).
        #[arg(long)]
        park: Vec<String>,
        /// Department id or name (repeatable).
        #[arg(long)]
        department: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a park (园区).
    CreatePark { name: String },
    /// Create a department (责任单位).
    CreateDepartment {
        name: String,
        /// zone, district, city or other
        #[arg(long, default_value = "zone")]
        level: String,
    },
    /// Change the parks and departments a user serves (their devices follow at the next sync).
    SetScope {
        #[arg(long)]
        user: String,
        #[arg(long)]
        park: Vec<String>,
        #[arg(long)]
        department: Vec<String>,
    },
    /// Load the desk session of 26 October 2024 as demo data.
    Demo,
    /// List every device that has signed in.
    ListDevices,
    /// Revoke a device: its token stops working at once.
    RevokeDevice { id: String },
    /// Mark a device lost (stolen, left behind): its token opens nothing from now on; at its
    /// next contact it hands over the changes it had not pushed and erases its store, its key
    /// and its sign-in.
    MarkDeviceLost { id: String },
    /// List what a lost device handed over: the changes it had not pushed, kept for review
    /// and never applied as they came.
    HandedOver { id: String },
    /// Publish a year of holidays and make-up working days (holiday-cn's JSON, one file a
    /// year) to every device.
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// Show, or set, the zone's time limits in working days: an appeal answered (dispatched)
    /// within --response, handled within --handling (the deadline of appeals given none).
    TimeLimits {
        #[arg(long)]
        response: Option<i64>,
        #[arg(long)]
        handling: Option<i64>,
    },
    /// Issue an enterprise its access code to the portal, printed with a letter to hand over
    /// (and a QR code of the portal's address); a new code replaces the old one. --revoke
    /// withdraws it instead.
    EnterpriseCode {
        /// The site: id, unified social credit code or name.
        #[arg(long)]
        site: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Issue an integrating system (the 12345 hotline, say) its key to the Open311 intake
    /// (/open311/v2/), printed once; issuing again under the name replaces it. --revoke
    /// withdraws it instead.
    ApiKey {
        /// The system, e.g. "12345热线".
        #[arg(long)]
        name: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Write a consistent copy of the database to FILE while the server keeps serving (SQLite's
    /// online backup; on PostgreSQL, pg_dump's custom format).
    Backup { file: PathBuf },
    /// Put the backup FILE back in place of the database; stop the server first. Devices that
    /// synced after the backup hand back what it lacks at their next sync, and bootstrap again.
    Restore { file: PathBuf },
    /// Walk every appeal's ledger (its hash chain, and the status it leads to) and name the
    /// first broken link; exits with 2 when there is one.
    VerifyLedger,
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// Load FILE.json (e.g. 2027.json); devices take it at their next sync.
    Import { file: std::path::PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match &cli.settings.config {
        Some(path) => match Config::from_file(path) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        },
        None => Config::default(),
    };
    if let Some(db) = cli.settings.db {
        config.db = db;
    }
    if let Some(url) = cli.settings.public_url {
        config.public_url = Some(url);
    }
    match cli.command {
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if tls_cert.is_some() {
                (config.tls_cert_file, config.tls_key_file) = (tls_cert, tls_key);
            }
            serve(config)
        }
        Command::Admin(cmd) => match admin(&config, cmd) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("错误 (error): {message}");
    ExitCode::from(2)
}

fn serve(config: Config) -> ExitCode {
    // Structured logs: human-readable by default, one JSON object a line with DESK_LOG=json.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("DESK_LOG").is_ok_and(|v| v == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let tls = match config.tls_files() {
        Ok(Some((cert, key))) => match tls::load(cert, key) {
            Ok(server_config) => Some((
                RustlsConfig::from_config(server_config),
                cert.to_owned(),
                key.to_owned(),
            )),
            Err(e) => return fail(&e),
        },
        Ok(None) => None,
        Err(e) => return fail(&e),
    };
    let db = match Db::open_with(&config.db, &config.db_options()) {
        Ok(db) => db,
        Err(e) => return fail(&e.to_string()),
    };
    match admin::user_count(&db) {
        Ok(0) => tracing::warn!(
            "no accounts yet: create the first administrator with `desk-server --db {} admin create-admin --name NAME`",
            config.db
        ),
        Ok(_) => {}
        Err(e) => return fail(&e.body.message),
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&config.listen).await {
            Ok(l) => l,
            Err(e) => return fail(&format!("cannot listen on {}: {e}", config.listen)),
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, scheme, backend = db.backend(), "desk-server listening");
        // The address on stdout, for scripts and tests that started it on port 0.
        println!("listening on {scheme}://{addr}");
        let state = AppState::new(db, config);
        let served = match tls {
            Some((tls, cert, key)) => {
                tokio::spawn(reload_on_hangup(tls.clone(), cert, key));
                desk_server::serve_tls(listener, tls, state, shutdown_signal()).await
            }
            None => desk_server::serve(listener, state, shutdown_signal()).await,
        };
        match served {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        }
    })
}

/// SIGHUP: the certificate files are read again (renewed by certbot or the zone's CA, say).
async fn reload_on_hangup(tls: RustlsConfig, cert: PathBuf, key: PathBuf) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        return;
    };
    while hangups.recv().await.is_some() {
        match tls::reload(&tls, &cert, &key) {
            Ok(()) => tracing::info!(cert = %cert.display(), "certificate reloaded"),
            Err(e) => tracing::error!("certificate not reloaded, the old one stays: {e}"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The letter an office hands an enterprise with its access code: where to go, what to type,
/// and the portal's address as a QR code (with the credit code filled in) for a phone's camera.
fn letter(issued: &admin::IssuedCode, portal: &str) -> String {
    let link = format!("{portal}?credit={}", issued.credit_code);
    let qr = qrcode::QrCode::new(link.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    format!(
        "{name}：\n\n\
         贵单位可用手机打开下方网址或扫描二维码，登录流动办公桌企业端，查看所提诉求的办理进度、在线点单。\n\
         Your enterprise can follow its appeals on the Mobile Desk portal: open the address below or scan the code.\n\n\
         网址 (address)：{link}\n\
         统一社会信用代码 (credit code)：{credit}\n\
         访问码 (access code)：{code}\n\n\
         {qr}\n\
         访问码只显示这一次，请妥善交给企业联系人；如遗失，重新生成即可，旧码随即失效。\n\
         The access code is shown this once; issuing a new one revokes it.",
        name = issued.site_name,
        credit = issued.credit_code,
        code = issued.code,
    )
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        rpassword::prompt_password("密码 (password): ")
            .map_err(|e| format!("cannot read the password: {e}"))
    }
}

/// A device's id as an administrator typed it.
fn device_id(id: &str) -> Result<uuid::Uuid, String> {
    id.trim()
        .parse()
        .map_err(|_| format!("id：“{id}”不是设备编号 (not a device id)"))
}

fn admin(config: &Config, cmd: AdminCmd) -> Result<String, String> {
    // Opened by the commands that need it: a backup or a restore works on the database as it
    // is (a restore must not first migrate what it is about to replace).
    let open = || Db::open_with(&config.db, &config.db_options()).map_err(|e| e.to_string());
    let err = |e: desk_server::error::ApiError| e.body.message;
    match cmd {
        AdminCmd::CreateAdmin {
            name,
            display_name,
            password_stdin,
        } => {
            let password = password(password_stdin)?;
            let spec = admin::UserSpec {
                name: &name,
                display_name: &display_name,
                role: Role::Admin,
                password: &password,
                parks: &[],
                departments: &[],
            };
            let id = admin::create_user(&open()?, &spec).map_err(err)?;
            Ok(format!("已创建管理员 (administrator created) {name} {id}"))
        }
        AdminCmd::CreateUser {
            name,
            display_name,
            role,
            park,
            department,
            password_stdin,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!(
                    "role：“{role}”无效，应为 admin, leader, officer, department (invalid role)"
                )
            })?;
            let password = password(password_stdin)?;
            let spec = admin::UserSpec {
                name: &name,
                display_name: &display_name,
                role,
                password: &password,
                parks: &park,
                departments: &department,
            };
            let id = admin::create_user(&open()?, &spec).map_err(err)?;
            Ok(format!(
                "已创建用户 (user created) {name} ({}) {id}",
                role.as_str()
            ))
        }
        AdminCmd::CreatePark { name } => {
            let id = admin::create_park(&open()?, &name).map_err(err)?;
            Ok(format!("已创建园区 (park created) {name} {id}"))
        }
        AdminCmd::CreateDepartment { name, level } => {
            let level = DepartmentLevel::parse("level", &level).map_err(|e| e.to_string())?;
            let id = admin::create_department(&open()?, &name, level).map_err(err)?;
            Ok(format!("已创建责任单位 (department created) {name} {id}"))
        }
        AdminCmd::SetScope {
            user,
            park,
            department,
        } => {
            admin::set_scope(&open()?, &user, &park, &department).map_err(err)?;
            Ok(format!("已更新 {user} 的范围 (scope updated)"))
        }
        AdminCmd::Demo => Ok(if admin::load_demo(&open()?).map_err(err)? {
            "已载入 2024年10月26日 流动办公桌演示数据 (demo session of 26 October 2024 loaded)"
                .into()
        } else {
            "演示数据已存在，未重复载入 (the demo is already loaded; nothing written)".into()
        }),
        AdminCmd::ListDevices => {
            let devices = admin::list_devices(&open()?).map_err(err)?;
            if devices.is_empty() {
                return Ok("（无设备 / no devices）".into());
            }
            Ok(devices
                .iter()
                .map(|d| {
                    format!(
                        "{}  {}  {}  last seen {}{}",
                        d.id,
                        d.user,
                        d.name,
                        d.last_seen_at.as_deref().unwrap_or("—"),
                        match (&d.revoked_at, &d.lost_at, &d.handed_over_at) {
                            (Some(_), _, _) => "  [已停用 revoked]".to_owned(),
                            (_, Some(lost), Some(at)) => format!(
                                "  [已标记丢失 {lost}，{at} 交出未上传的修改并已清除 (lost; handed over and erased)]"
                            ),
                            (_, Some(lost), None) => format!(
                                "  [已标记丢失 {lost}，待其下次联网时清除 (lost; erases at its next contact)]"
                            ),
                            _ => String::new(),
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCmd::RevokeDevice { id } => {
            let id = device_id(&id)?;
            admin::revoke_device(&open()?, id).map_err(err)?;
            Ok(format!("已停用设备 (device revoked) {id}"))
        }
        AdminCmd::MarkDeviceLost { id } => {
            let id = device_id(&id)?;
            admin::mark_device_lost(&open()?, id).map_err(err)?;
            Ok(format!(
                "已将设备 {id} 标记为丢失：它下次联网时交出未上传的修改，然后清除本机数据 (device marked lost: at its next contact it hands over its unpushed changes and erases its data)"
            ))
        }
        AdminCmd::HandedOver { id } => {
            let id = device_id(&id)?;
            let ops = admin::handed_over(&open()?, id).map_err(err)?;
            if ops.is_empty() {
                return Ok(
                    "（此设备没有交出任何修改 / nothing handed over by this device）".into(),
                );
            }
            let mut lines = vec![format!(
                "设备 {id} 交出 {} 条未上传的修改，未自动生效，请核对后由办公室录入 ({} changes it had not pushed, not applied: review them and enter what the office needs)",
                ops.len(),
                ops.len()
            )];
            lines.extend(ops.iter().map(|op| {
                format!(
                    "{}  {} {}  {}",
                    op.id,
                    op.entity.name_zh(),
                    op.record_id,
                    serde_json::Value::Object(op.fields.clone())
                )
            }));
            Ok(lines.join("\n"))
        }
        AdminCmd::Calendar(CalendarCmd::Import { file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("无法读取 (cannot read) {}: {e}", file.display()))?;
            let year = admin::import_calendar(&open()?, &text).map_err(err)?;
            Ok(format!(
                "已发布 {} 年节假日安排：{} 天假日，{} 天调休上班 (published the {} calendar: {} holidays, {} make-up working days)",
                year.year,
                year.holidays(),
                year.make_up_days(),
                year.year,
                year.holidays(),
                year.make_up_days()
            ))
        }
        AdminCmd::TimeLimits { response, handling } => {
            let limits = admin::time_limits(&open()?, response, handling).map_err(err)?;
            Ok(format!(
                "办理时限：{} 个工作日内响应，{} 个工作日内办结 (time limits: answered within {} working days, handled within {})",
                limits.response_days, limits.handling_days, limits.response_days, limits.handling_days
            ))
        }
        AdminCmd::EnterpriseCode { site, revoke: true } => {
            let (name, had) = admin::revoke_enterprise_code(&open()?, &site).map_err(err)?;
            Ok(if had {
                format!("已收回 {name} 的访问码，其登录已失效 (access code revoked; its sessions ended)")
            } else {
                format!("{name} 没有有效的访问码 (no live access code; nothing changed)")
            })
        }
        AdminCmd::EnterpriseCode {
            site,
            revoke: false,
        } => {
            let issued = admin::issue_enterprise_code(&open()?, &site).map_err(err)?;
            Ok(letter(&issued, &config.portal_url()))
        }
        AdminCmd::ApiKey { name, revoke: true } => {
            let had = admin::revoke_api_key(&open()?, &name, None).map_err(err)?;
            Ok(if had {
                format!("已停用 {name} 的 API 密钥 (the key is revoked)")
            } else {
                format!("{name} 没有有效的 API 密钥 (no live key; nothing changed)")
            })
        }
        AdminCmd::ApiKey {
            name,
            revoke: false,
        } => {
            let key = admin::issue_api_key(&open()?, &name, None).map_err(err)?;
            Ok(format!(
                "{name} 的 Open311 API 密钥（只显示这一次，请妥善保存）(its Open311 api_key, shown once: keep it safe)\n{key}\n接口地址 (endpoint)：{}/open311/v2/",
                config.public_url.as_deref().unwrap_or("http://SERVER:8700").trim_end_matches('/')
            ))
        }
        AdminCmd::Backup { file } => {
            let done = backup::backup(&config.db, &file)?;
            Ok(format!(
                "已备份到 (backed up to) {}：{}{}",
                file.display(),
                megabytes(done.bytes),
                done.log_head
                    .map(|h| format!("，日志至第 {h} 条 (log up to entry {h})"))
                    .unwrap_or_default()
            ))
        }
        AdminCmd::Restore { file } => {
            let done = backup::restore(&config.db, &file, &config.db_options())?;
            let head = done.log_head.unwrap_or_default();
            Ok(format!(
                "已从 {} 恢复 (restored)，日志至第 {head} 条 (log up to entry {head})。设备下次同步时补传备份之后的修改，并重新完整同步 (at their next sync, devices hand back what came after the backup and bootstrap again)",
                file.display(),
            ))
        }
        AdminCmd::VerifyLedger => {
            let report = admin::verify_ledger(&open()?).map_err(err)?;
            match report.broken {
                None => Ok(format!(
                    "台账完整：{} 件诉求，{} 条办理记录 (the ledger is whole: {} appeals, {} entries)",
                    report.appeals, report.entries, report.appeals, report.entries
                )),
                Some(b) => Err(format!("台账校验失败 (the ledger is broken): {b}")),
            }
        }
    }
}
