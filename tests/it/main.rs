//! The one integration-test binary: a module per area. Every server here is a
//! loopback one started by the test; no test reaches a provider.

mod cli;
mod client;
mod every_stage;
mod extensible;
mod fakes;
mod faults;
mod hostile;
mod inbox;
mod message_content;
mod pagination;
mod partoo;
mod quo;
mod quo_dated;
mod quo_fake;
mod read_state;
mod redis;
mod redis_server;
mod registry;
mod runtime;
mod schemas;
mod send_shapes;
mod support;
mod surface;
mod textus;
mod webhooks;
