//! Integration tests of the agent crate.
