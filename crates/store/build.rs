//! `sqlx::migrate!` embeds the migration folders at compile time but does not tell cargo about them:
//! without this, a new migration file alone would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
