//! Test-only helpers, used as a dev-dependency and never compiled into the product.

pub mod db;

pub use db::{DbKind, TestDb};
