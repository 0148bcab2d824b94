//! The `spanlens` binary: parse arguments and run a subcommand or the explorer.

use clap::Parser;
use spanlens::cli::{self, Cli, Command};

fn main() {
    let args = Cli::parse();
    match args.command {
        Some(Command::Summary { paths, input, json }) => {
            let set = cli::load_or_exit(&paths, &input);
            if json {
                println!("{}", cli::summary::to_json(&set));
            } else {
                print!("{}", cli::summary::to_text(&set));
            }
        }
        None => {
            eprintln!("spanlens: the explorer is not built yet; try `spanlens summary PATH`");
            std::process::exit(1);
        }
    }
}
