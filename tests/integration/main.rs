//! isobox's integration tests: one binary, one module per concern.

mod common;

mod apps;
mod bad_input;
mod build_app;
mod build_serve;
mod bytecode_cache;
mod capabilities;
mod cli;
mod code_forms;
mod concurrency;
mod console;
mod egress;
mod engine;
mod errors;
mod examples;
mod faults;
mod formdata;
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
mod streams;
mod timers;
mod typescript;
mod upstream;
mod web;
mod web_apis;
mod webcrypto;
mod workers;
