//! `kindly`, the command-line tool: notices harsh self-talk in your own writing and offers
//! kinder ways to say it. A thin layer over the library: argument parsing, reading files,
//! and printing; every decision about the text is the engine's.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
