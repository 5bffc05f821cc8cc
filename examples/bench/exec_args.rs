//! The `execve` arguments of the raw methods: the child's path,
//! `argv = [path]`, and the parent's environment (as every other method
//! passes it, so all of them copy the same bytes at exec).
//!
//! Built the way process-graph's `ExecSpec` builds them since it packs its
//! arrays (runtime/src/spawn/exec_spec.rs): `std::env::vars_os` collected
//! into a `Vec`, every part checked for NUL bytes, then every `KEY=value`
//! copied into one buffer with one array of pointers into it — so that rebuilding them per spawn, in
//! `bench spawn-overhead`, costs what the runtime pays.

use std::ffi::{CString, c_char};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub struct ExecArgs {
    program: PathBuf,
    path: CString,
    // The pointer arrays point into `path` and `env_bytes`, whose heap
    // buffers never move or change after construction.
    _env_bytes: Vec<u8>,
    argv: [*const c_char; 2],
    envp: Vec<*const c_char>,
}

impl ExecArgs {
    pub fn new(program: &Path) -> io::Result<ExecArgs> {
        let path = CString::new(program.as_os_str().as_bytes())?;
        let env: Vec<_> = std::env::vars_os().collect();
        let mut env_bytes = Vec::new();
        let mut starts = Vec::with_capacity(env.len());
        for (key, value) in &env {
            if key.as_bytes().contains(&0) || value.as_bytes().contains(&0) {
                return Err(io::Error::other(format!("{key:?} holds a NUL byte")));
            }
            starts.push(env_bytes.len());
            env_bytes.extend_from_slice(key.as_bytes());
            env_bytes.push(b'=');
            env_bytes.extend_from_slice(value.as_bytes());
            env_bytes.push(0);
        }
        let base = env_bytes.as_ptr();
        let envp = starts
            .iter()
            // SAFETY: every start is an offset inside `env_bytes`.
            .map(|&start| unsafe { base.add(start) }.cast::<c_char>())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        Ok(ExecArgs {
            program: program.to_owned(),
            argv: [path.as_ptr(), std::ptr::null()],
            path,
            _env_bytes: env_bytes,
            envp,
        })
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    pub fn path(&self) -> *const c_char {
        self.path.as_ptr()
    }

    /// Null-terminated.
    pub fn argv(&self) -> *const *const c_char {
        self.argv.as_ptr()
    }

    /// Null-terminated.
    pub fn envp(&self) -> *const *const c_char {
        self.envp.as_ptr()
    }
}
