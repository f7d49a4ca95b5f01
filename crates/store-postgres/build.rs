//! The migrations are embedded in the crate (`embed_migrations!`): without this, a migration
//! added or edited alone would not rebuild it, and the binary would run the old set.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
