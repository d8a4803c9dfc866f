use clap::Parser;

fn main() {
    let cli = faultline::cli::Cli::parse();
    if let Err(e) = faultline::cli::run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
