use std::env;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

#[path = "src/metadata/loader.rs"]
mod loader;

#[path = "src/error.rs"]
mod error;

fn main() {
    let pnm_path = "assets/PhoneNumberMetadata.xml";
    let metadata = loader::load(BufReader::new(
        File::open(pnm_path).expect("could not open metadata file"),
    ))
    .expect("failed to load metadata");
    println!("cargo:rerun-if-changed={pnm_path}");

    let mut out = BufWriter::new(
        File::create(Path::new(&env::var("OUT_DIR").unwrap()).join("database.bin"))
            .expect("could not create database file"),
    );

    // HeyWay fork: the database is stored deflated (526 kB -> 64 kB in each
    // binary) and inflated once, when it is first loaded.
    let bytes = postcard::to_stdvec(&metadata).expect("failed to serialize database");
    out.write_all(&miniz_oxide::deflate::compress_to_vec(&bytes, 10))
        .expect("failed to write database");
}
