//! `devsim`: run simulated devices standalone. See `devsim --help`.

fn main() {
    println!("devsim: not wired yet");
}
