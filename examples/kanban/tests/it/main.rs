//! End-to-end tests: the built `kanban` binary, driven by an MCP client over stdio and over
//! Streamable HTTP on 127.0.0.1.

mod calls;
mod persistence;
mod support;
mod tools;
mod transports;
