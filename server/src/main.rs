//! `cotton-trace`: serve, migrate, bootstrap the admin, export the schema.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use cotton_trace::config::Config;

#[derive(Parser)]
#[command(name = "cotton-trace", version, about = "棉花质量追溯平台 Cotton Trace server")]
struct Cli {
    /// sqlite://PATH or postgres://…; default: embedded SQLite at ./data/cotton-trace.db
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Log format: text or json
    #[arg(long, env = "COTTON_LOG_FORMAT", default_value = "text", global = true)]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL server
    Serve {
        /// Address to listen on
        #[arg(long, env = "COTTON_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load the demo data set (once) and print the demo accounts; implies --dev
        #[arg(long)]
        demo: bool,
        /// Development mode: exposes devSmsCodes
        #[arg(long)]
        dev: bool,
        /// Folder of driver plugins; default: next to this executable
        #[arg(long, env = "COTTON_PLUGINS_DIR")]
        plugins_dir: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// Platform admin accounts
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The tamper-evident audit trail
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Benchmarks: generate a synthetic season, time the premium allocation
    #[cfg(feature = "dev-tools")]
    Bench {
        #[command(subcommand)]
        command: cotton_devtools::bench::BenchCommand,
    },
    /// Write the GraphQL schema (SDL) exported from the code
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and compare the audited tables with their latest
    /// snapshots; exit code 1 when anything was tampered with
    Verify {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the SHA-256 of each audit trigger and function definition of the
    /// database (`server/store/src/audit/expected.txt` is this, from fresh databases)
    Definitions,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the platform admin (bootstrap); an existing admin of that name is left unchanged
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, env = "COTTON_ADMIN_PASSWORD")]
        password: String,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,poem=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format.eq_ignore_ascii_case("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    // Hidden: `cotton-trace driver-host` is the child process the server runs
    // driver plugins in (see cotton_plugin_host::driver_host); no runtime, no
    // logging set-up, stdin/stdout carry the protocol.
    if std::env::args_os().nth(1).is_some_and(|a| a == cotton_trace::plugins::DRIVER_HOST_COMMAND) {
        std::process::exit(cotton_plugin_host::driver_host::child_main());
    }
    run()
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let mut config = Config::from_env(cli.database_url.clone());
    match cli.command {
        Command::Serve { listen, demo, dev, plugins_dir } => {
            config.listen = listen;
            if let Some(dir) = plugins_dir {
                config.plugins_dir = dir;
            }
            config.demo = demo;
            config.dev_mode = dev || demo;
            cotton_trace::server::serve(config).await
        }
        Command::Migrate => {
            cotton_trace::server::open_database(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { username, password } } => {
            let db = cotton_trace::server::open_database(&config).await?;
            let outcome = cotton_service::accounts::bootstrap_admin(&db, &username, &password)
                .await
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            println!("{outcome}");
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { json } } => {
            let db = cotton_trace::server::open_database(&config).await?;
            let report = cotton_service::audit::verify::verify(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
                if report.ok {
                    println!();
                }
            }
            if !report.ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Audit { command: AuditCommand::Definitions } => {
            let db = cotton_trace::server::open_database(&config).await?;
            print!("{}", cotton_service::audit::definitions::lines(&db).await?);
            Ok(())
        }
        #[cfg(feature = "dev-tools")]
        Command::Bench { command } => cotton_devtools::bench::run(&cotton_trace::server::DevHost(config), command).await,
        Command::ExportSchema { out } => {
            std::fs::write(&out, cotton_trace::graphql::sdl())?;
            println!("wrote {}", out.display());
            Ok(())
        }
    }
}
