//! The conventions of a CLI: completions for the common shells, a manual page, and help
//! text for every option and argument of every command.

use clap::CommandFactory;
use spanlens::cli::Cli;
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(args)
        .output()
        .expect("spanlens runs");
    assert!(out.status.success(), "{args:?}: {:?}", out);
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(subcommands.len() >= 5, "{subcommands:?}");
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        for sub in &subcommands {
            assert!(script.contains(sub.as_str()), "{shell} lacks {sub}");
        }
    }
}

#[test]
fn the_manual_page_has_a_section_per_command() {
    let page = run(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH spanlens 1"),
        "{page:.200}"
    );
    for sub in Cli::command().get_subcommands() {
        let th = format!(".TH spanlens-{} 1", sub.get_name());
        assert!(page.contains(&th), "no page for {}", sub.get_name());
    }
}

#[test]
fn every_option_and_argument_says_what_it_does() {
    let root = Cli::command();
    let mut missing = Vec::new();
    let mut check = |cmd: &clap::Command| {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{} {id}", cmd.get_name()));
            }
        }
    };
    check(&root);
    for sub in root.get_subcommands() {
        check(sub);
    }
    assert!(missing.is_empty(), "no help text: {missing:?}");
}
