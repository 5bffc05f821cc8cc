//! `ExecSpec`: a node's command turned into the exact bytes `execve` needs.
//!
//! Built in the parent, where allocating is allowed, once per node; the child
//! only reads it. Reused for every restart of the node.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use core::ffi::c_char;

use crate::command::Command;

/// glibc's `execvp` uses this when `PATH` is unset.
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The prebuilt `execve` arguments of one command.
#[derive(Debug)]
pub(crate) struct ExecSpec {
    pub(crate) candidates: Vec<CString>,
    pub(crate) cwd: Option<CString>,
    // The pointer arrays point into these; they are never modified after
    // construction, and a CString's heap buffer does not move with it.
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    envp_ptrs: Vec<*const c_char>,
}

// SAFETY: the raw pointers only point into the CStrings owned by the same
// value, which are immutable after construction.
unsafe impl Send for ExecSpec {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for ExecSpec {}

fn c_string(bytes: &[u8], what: impl FnOnce() -> String) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| format!("{} contains a NUL byte", what()))
}

fn null_terminated(strings: &[CString]) -> Vec<*const c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

impl ExecSpec {
    /// Prepares `command`, with `extra_env` set on top of its environment;
    /// the error says which part holds a NUL byte.
    pub(crate) fn new(
        command: &Command,
        extra_env: &[(OsString, OsString)],
    ) -> Result<ExecSpec, String> {
        let program = command.program.as_bytes();
        if program.is_empty() {
            return Err("the program name is empty".to_owned());
        }
        let mut argv = vec![c_string(program, || "the program name".to_owned())?];
        for (i, arg) in command.args.iter().enumerate() {
            argv.push(c_string(arg.as_bytes(), || format!("argument {}", i + 1))?);
        }
        let mut env = child_environment(command);
        for (key, value) in extra_env {
            env.retain(|(k, _)| k != key);
            env.push((key.clone(), value.clone()));
        }
        let mut envp = Vec::with_capacity(env.len());
        for (key, value) in &env {
            if key.is_empty() || key.as_bytes().contains(&b'=') {
                return Err(format!(
                    "environment variable name {key:?} is empty or holds '='"
                ));
            }
            let mut entry = key.clone().into_vec();
            entry.push(b'=');
            entry.extend_from_slice(value.as_bytes());
            envp.push(c_string(&entry, || {
                format!("environment variable {key:?}")
            })?);
        }
        let cwd = match &command.cwd {
            Some(dir) => Some(c_string(dir.as_os_str().as_bytes(), || {
                "the working directory".to_owned()
            })?),
            None => None,
        };
        let path_var = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_bytes());
        let candidates = candidates(program, path_var)
            .into_iter()
            .map(|c| c_string(&c, || "the program path".to_owned()))
            .collect::<Result<_, _>>()?;
        Ok(ExecSpec {
            candidates,
            cwd,
            argv_ptrs: null_terminated(&argv),
            envp_ptrs: null_terminated(&envp),
            _argv: argv,
            _envp: envp,
        })
    }

    pub(crate) fn argv(&self) -> *const *const c_char {
        self.argv_ptrs.as_ptr()
    }

    pub(crate) fn envp(&self) -> *const *const c_char {
        self.envp_ptrs.as_ptr()
    }
}

/// The child's environment: the parent's (unless cleared) with the command's
/// changes applied, in a stable order.
fn child_environment(command: &Command) -> Vec<(OsString, OsString)> {
    let mut env: std::collections::BTreeMap<OsString, OsString> = if command.env_clear {
        Default::default()
    } else {
        std::env::vars_os().collect()
    };
    for (key, value) in &command.env {
        match value {
            Some(value) => env.insert(key.clone(), value.clone()),
            None => env.remove(key),
        };
    }
    env.into_iter().collect()
}

/// The paths `execvp` would try: the program itself if it holds a `/`,
/// otherwise the program in each directory of `PATH` (the child's `PATH` if
/// its environment has one, else glibc's default).
fn candidates(program: &[u8], path_var: Option<&[u8]>) -> Vec<Vec<u8>> {
    if program.contains(&b'/') {
        return vec![program.to_vec()];
    }
    path_var
        .unwrap_or(DEFAULT_PATH)
        .split(|&b| b == b':')
        .map(|dir| {
            let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
            let mut path = dir.to_vec();
            path.push(b'/');
            path.extend_from_slice(program);
            path
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_search_tries_each_directory_in_order() {
        let found = candidates(b"ls", Some(b"/a::/b"));
        assert_eq!(found, [&b"/a/ls"[..], b"./ls", b"/b/ls"]);
    }

    #[test]
    fn a_program_with_a_slash_is_not_searched() {
        assert_eq!(candidates(b"./run", Some(b"/a")), [b"./run"]);
    }

    #[test]
    fn interior_nul_names_the_argument() {
        let cmd = Command::new("echo").arg("ok").arg("bad\0arg");
        assert_eq!(
            ExecSpec::new(&cmd, &[]).unwrap_err(),
            "argument 2 contains a NUL byte"
        );
    }

    #[test]
    fn environment_changes_apply_over_a_cleared_base() {
        let cmd = Command::new("env").env_clear().env("A", "1");
        let spec = ExecSpec::new(&cmd, &[]).unwrap();
        assert_eq!(spec._envp, [CString::new("A=1").unwrap()]);
    }
}
