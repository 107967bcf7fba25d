//! The models conversations can use.

pub(crate) mod list_models;
