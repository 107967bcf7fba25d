//! The `switchboard` binary, run as a person would run it.

mod api;
mod audit;
mod commands;
mod conformance;
mod doctor;
mod process;
mod records;
mod restart;
mod serve;
mod soak;
