//! The fake's own tests, against raw clients (reqwest, tokio-tungstenite) and serenity's models.

mod attachments;
mod common;
mod console;
mod dms;
mod faults;
mod gateway;
mod interactions;
mod modals;
mod ratelimit;
mod rest;
mod serenity_client;
mod serenity_uploads;
mod sharding;
mod tls;
mod transcript;
mod uploads;
