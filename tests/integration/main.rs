//! isobox's integration tests: one binary, one module per concern.

mod common;

mod bad_input;
mod build_app;
mod build_serve;
mod bytecode_cache;
mod capabilities;
mod cli;
mod concurrency;
mod console;
mod egress;
mod engine;
mod errors;
mod examples;
mod faults;
mod forms;
mod isolation;
mod json_tools;
mod limits;
mod mcp;
mod modules;
mod serve;
mod serve_stream;
mod serve_tenants;
mod serve_workers;
mod timers;
mod typescript;
mod upstream;
mod web;
mod web_apis;
mod workers;
