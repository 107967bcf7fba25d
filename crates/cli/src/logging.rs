//! Structured logs on stderr: text for people, JSON for collectors.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// What is logged unless `SWITCHBOARD_LOG` says otherwise. The MCP SDK (`rmcp`)
/// logs every session it opens and closes at INFO, which says nothing to an
/// operator and would fill `switchboard doctor`'s output: it logs warnings only,
/// unless asked for more (e.g. `SWITCHBOARD_LOG=info,rmcp=debug`).
pub(crate) const DEFAULT_FILTER: &str = "info,sqlx=warn,rmcp=warn";

/// Install the global subscriber. `SWITCHBOARD_LOG` (or `RUST_LOG`) sets the filter.
pub(crate) fn init(format: LogFormat) {
    let filter = std::env::var("SWITCHBOARD_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    let builder = tracing_subscriber::fmt().with_env_filter(EnvFilter::new(filter)).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
