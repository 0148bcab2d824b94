//! The terminal explorer. Only this module imports ratatui and crossterm.

pub mod action;
pub mod app;
pub mod app_diff;
mod app_loading;
mod app_mouse;
mod app_search;
mod app_trace;
pub mod clipboard;
pub mod config;
pub mod detail;
mod detail_doc;
pub mod diff_view;
pub mod headline;
mod input;
pub mod json_view;
pub mod keymap;
pub mod loading;
pub mod run;
pub mod scroll;
pub mod search;
mod searcher;
pub mod terminal;
pub mod theme;
pub mod traces;
pub mod tree;
pub mod view;
pub mod wrap;
