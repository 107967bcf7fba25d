//! The `switchboard` binary, run as a person would run it.

mod api;
mod audit;
mod commands;
mod conformance;
mod doctor;
mod full_disk;
mod pg_cluster;
mod postgres_restart;
mod process;
mod records;
mod restart;
mod serve;
mod small_disk;
mod soak;
mod task_restart;
