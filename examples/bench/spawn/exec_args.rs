//! The `execve` arguments of the raw methods: the child's path,
//! `argv = [path]`, and the parent's environment (as every other method
//! passes it, so all of them copy the same bytes at exec), sorted by name as
//! process-graph's `ExecSpec` sorts it.

use std::collections::BTreeMap;
use std::ffi::{CString, c_char};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub struct ExecArgs {
    program: PathBuf,
    path: CString,
    // The pointer arrays point into `path` and `_env`, whose heap buffers
    // never move or change after construction.
    _env: Vec<CString>,
    argv: [*const c_char; 2],
    envp: Vec<*const c_char>,
}

impl ExecArgs {
    pub fn new(program: &Path) -> io::Result<ExecArgs> {
        let path = CString::new(program.as_os_str().as_bytes())?;
        let env = std::env::vars_os()
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .map(|(key, value)| {
                let mut entry = key.into_encoded_bytes();
                entry.push(b'=');
                entry.extend_from_slice(value.as_encoded_bytes());
                CString::new(entry)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let envp = env
            .iter()
            .map(|entry| entry.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        Ok(ExecArgs {
            program: program.to_owned(),
            argv: [path.as_ptr(), std::ptr::null()],
            path,
            _env: env,
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
