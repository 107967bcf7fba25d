//! Test-only helpers, used as a dev-dependency and never compiled into the product.

pub mod app;
pub mod browser;
pub mod db;
pub mod hostile;
pub mod http;
pub mod lines;
pub mod model_server;
pub mod not_mcp;
pub mod peers;

pub use app::{Replica, Signed, TestApp};
pub use browser::Browser;
pub use db::{DbKind, TestDb};
pub use hostile::HostileServer;
pub use http::{http_client, install_tls};
pub use model_server::{Gate, RecordedRequest, Reply, ScriptedModel, ToolCall};
