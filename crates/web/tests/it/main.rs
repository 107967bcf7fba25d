//! The web layer's test suite: the real router on a real socket, over SQLite and
//! PostgreSQL, plus the pages in a real Chromium.

mod api;
mod browser;
mod browser_a11y;
mod browser_account;
mod browser_audit;
mod browser_chat;
mod browser_chat_render;
mod browser_connectors;
mod browser_conversations;
mod browser_elicitation;
mod browser_governance;
mod browser_hostile;
mod browser_oauth;
mod browser_oauth_sdk;
mod browser_phone;
mod browser_tasks;
mod browser_usage;
mod browser_widgets;
mod developer;
