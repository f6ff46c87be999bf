//! `scaffold`: composes template fragments into a production-ready Rust service repo,
//! refusing the combinations that hurt young products.
//!
//! The flow: [`catalogue`] (axes, options, rules, loaded from templates) →
//! [`resolve`] (raw answers → validated [`selection::Selection`] and rule outcomes) →
//! [`generate`] (fragments rendered and merged in memory) → [`write`] (atomic, with git).

pub mod cargo_generate;
pub mod catalogue;
pub mod cli;
pub mod error;
pub mod generate;
pub mod git_pack;
pub mod lists;
pub mod manifest;
pub mod merge;
pub mod moves;
pub mod name;
pub mod ops;
pub mod per_service;
pub mod preset;
pub mod prompt;
pub mod record;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod selection;
pub mod suggest;
pub mod template_tree;
pub mod write;
