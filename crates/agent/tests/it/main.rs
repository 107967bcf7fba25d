//! Integration tests of the agent crate.

mod anthropic;
mod errors;
mod openai;
mod support;
