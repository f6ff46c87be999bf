fn main() {
    std::process::exit(scaffold::cli::main());
}
