// The portal's pages are embedded from ui/dist-portal (`npm run build:portal`): rebuild the
// server when they change or first appear, which cargo cannot otherwise know.
fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist-portal");
}
