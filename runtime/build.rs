//! Builds the carried scope program (`carried/main.rs`): a static,
//! position-dependent, libc-free ELF for the target, which the runtime
//! embeds with `include_bytes!` and executes from a sealed memfd.
//!
//! rustc itself builds it, for the same target as the runtime, with the
//! sysroot's `core` only: no other toolchain, no download.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let program = out.join("scope-program");
    // The whole directory: cargo then rebuilds on a change to any file in
    // it, one added later included (a list of names had left out three).
    println!("cargo::rerun-if-changed=carried");
    let status = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--crate-name",
            "scope_program",
        ])
        .args(["--target", &target])
        .args([
            "-C",
            "panic=abort",
            "-C",
            "opt-level=2",
            "-C",
            "debuginfo=0",
        ])
        .args(["-C", "strip=symbols", "-C", "relocation-model=static"])
        .args(["-C", "target-feature=+crt-static"])
        .args(["-C", "link-arg=-nostartfiles", "-C", "link-arg=-nostdlib"])
        .args(["-C", "link-arg=-Wl,--build-id=none", "-D", "warnings"])
        .arg("-o")
        .arg(&program)
        .arg("carried/main.rs")
        // Flags meant for the crates being built (e.g. coverage) are not for
        // this program.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run rustc for the carried scope program");
    assert!(
        status.success(),
        "building the carried scope program failed"
    );
}
