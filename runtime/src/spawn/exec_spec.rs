//! `ExecSpec`: a node's command turned into the exact bytes `execve` needs.
//!
//! Built in the parent, where allocating is allowed, once per node; the child
//! only reads it. Reused for every restart of the node.

use std::ffi::{CStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Arc, OnceLock};

use core::ffi::c_char;

use std::cell::UnsafeCell;

use super::carried::{
    Entry, IdChange, LISTEN_PID_PLACEHOLDER, NodeClone, ProgramFds, join_arguments,
};
use crate::command::Command;
use crate::credentials::{ProcessGroup, Rlimit};
use crate::scope::InsideIds;

/// glibc's `execvp` uses this when `PATH` is unset.
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The prebuilt `execve` arguments of one command.
#[derive(Debug)]
pub(crate) struct ExecSpec {
    pub(crate) target: Target,
    /// What the child sets up before it executes the target.
    pub(crate) setup: ChildSetup,
    /// The child gets no parent-death signal: it is meant to outlive the
    /// application (the cgroup watcher).
    pub(crate) outlives_parent: bool,
    /// The `LISTEN_PID` entry `envp` points to, which the child fills in
    /// with its pid (a node outside scopes; the carried program fills in
    /// the others').
    pub(crate) listen_pid: Option<ListenPidSlot>,
    argv: StringArray,
    /// Shared by every node of the graph that inherits the parent's
    /// environment unchanged: a copy per node would cost the parent the
    /// environment's size for each running node.
    envp: Arc<StringArray>,
}

/// The parent's environment, read once for a whole graph, and its `execve`
/// array, built once for all the nodes that inherit it unchanged.
#[derive(Debug, Default)]
pub(crate) struct InheritedEnv {
    vars: Vec<(OsString, OsString)>,
    envp: Option<Arc<StringArray>>,
}

impl InheritedEnv {
    /// The parent's environment now.
    pub(crate) fn read() -> InheritedEnv {
        InheritedEnv {
            vars: std::env::vars_os().collect(),
            envp: None,
        }
    }

    /// The environment as an `execve` array, built on the first call.
    fn envp(&mut self) -> Result<Arc<StringArray>, String> {
        if let Some(envp) = &self.envp {
            return Ok(Arc::clone(envp));
        }
        let envp = Arc::new(string_array_of(&self.vars)?);
        self.envp = Some(Arc::clone(&envp));
        Ok(envp)
    }
}

/// The command's process group, resource limits and umask, as the child
/// applies them: plain values, nothing to allocate.
#[derive(Debug, Default)]
pub(crate) struct ChildSetup {
    pub(crate) group: ProcessGroup,
    pub(crate) rlimits: Vec<(Rlimit, rustix::process::Rlimit)>,
    pub(crate) umask: Option<rustix::fs::Mode>,
    /// A session of its own, with the terminal on this target fd (a
    /// pseudo-terminal's node end) as its controlling terminal.
    pub(crate) controlling_terminal: Option<i32>,
    /// With [`ProcessGroup::Own`]: a group of its own in the application's
    /// session, not a session of its own. For the runtime's own programs,
    /// not nodes: a group in a session of its own is orphaned from the
    /// start, and the kernel SIGHUPs a stopped member of an orphaned group
    /// when another member exits (`kill_orphaned_pgrp`), while it must
    /// SIGCONT the cgroup watcher, stopped by a node of the application's
    /// uid, only once the application's death orphans the watcher's group.
    pub(crate) group_only: bool,
}

impl ChildSetup {
    fn of(command: &Command) -> ChildSetup {
        let limit = |value: u64| (value != u64::MAX).then_some(value);
        ChildSetup {
            group: command.process_group,
            rlimits: command
                .rlimits
                .iter()
                .map(|&(resource, soft, hard)| {
                    let limit = rustix::process::Rlimit {
                        current: limit(soft),
                        maximum: limit(hard),
                    };
                    (resource, limit)
                })
                .collect(),
            umask: command.umask.map(rustix::fs::Mode::from_raw_mode),
            controlling_terminal: None,
            group_only: false,
        }
    }
}

/// The `LISTEN_PID=` entry of one node's environment, written by each of
/// its children in turn (with `CLONE_VFORK`, never two at once) while the
/// parent's thread waits.
#[derive(Debug)]
pub(crate) struct ListenPidSlot(Box<UnsafeCell<[u8; LISTEN_PID_PLACEHOLDER.len() + 1]>>);

impl ListenPidSlot {
    /// Points entry `index` of `envp` (the placeholder) at a new slot.
    fn take_over(envp: &mut Arc<StringArray>, index: usize) -> ListenPidSlot {
        let mut bytes = [0u8; LISTEN_PID_PLACEHOLDER.len() + 1];
        bytes[..LISTEN_PID_PLACEHOLDER.len()].copy_from_slice(LISTEN_PID_PLACEHOLDER);
        let slot = ListenPidSlot(Box::new(UnsafeCell::new(bytes)));
        let envp = Arc::get_mut(envp).expect("a new array: the environment changed");
        envp.ptrs[index] = slot.0.get().cast::<c_char>();
        slot
    }

    /// The entry's bytes, NUL included, for the child to write.
    pub(crate) fn get(&self) -> *mut [u8; LISTEN_PID_PLACEHOLDER.len() + 1] {
        self.0.get()
    }
}

/// What the child executes.
#[derive(Debug)]
pub(crate) enum Target {
    /// `chdir`, then `execve` each candidate in turn: a node outside scopes.
    /// The candidates and the directory are strings of the spec's own array,
    /// after `argv` ([`ExecSpec::child_target`]): no allocation of their own.
    Path {
        /// Where the candidates start in the array.
        candidates: usize,
    },
    /// The carried scope program, whose arguments say the rest (the node's
    /// own candidates, directory and `argv` among them for `join`).
    Program(ProgramFds),
}

/// What the child executes, as it reads it: pointers into an [`ExecSpec`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChildTarget<'a> {
    Path {
        /// The paths to try in turn, as `execvp` would.
        candidates: &'a [*const c_char],
        /// The directory to change to first, if any.
        cwd: Option<&'a CStr>,
    },
    Program,
}

/// The entry of a [`StringArray`] under construction that ends a list (no
/// string starts there: `bytes` never grows that long).
const LIST_END: usize = usize::MAX;

/// A null-terminated array of pointers to NUL-terminated strings, as
/// `execve` takes them, in a fixed number of allocations however many
/// strings there are (a spawn is short enough that one allocation per
/// environment variable shows up in its cost).
#[derive(Debug, Default)]
pub(crate) struct StringArray {
    /// Every string, each followed by its NUL. Never changed once `ptrs`
    /// points into it.
    bytes: Vec<u8>,
    /// A pointer to each string, then a null. Until `finish`, each entry
    /// holds only the string's offset in `bytes` (the pointers cannot be
    /// taken while `bytes` may still move): no second array of offsets is
    /// held beside it for the life of the graph.
    ptrs: Vec<*const c_char>,
}

// SAFETY: the raw pointers only point into `bytes` of the same value, which
// is immutable after `finish`.
unsafe impl Send for StringArray {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for StringArray {}

impl StringArray {
    /// Appends the concatenation of `parts`; `what` names it in the error if
    /// it holds a NUL byte.
    fn push(&mut self, parts: &[&[u8]], what: impl FnOnce() -> String) -> Result<(), String> {
        if parts.iter().any(|p| p.contains(&0)) {
            return Err(format!("{} contains a NUL byte", what()));
        }
        self.ptrs
            .push(std::ptr::without_provenance(self.bytes.len()));
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.bytes.push(0);
        Ok(())
    }

    /// Appends `bytes`, which hold no NUL byte.
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        debug_assert!(!bytes.contains(&0));
        self.ptrs
            .push(std::ptr::without_provenance(self.bytes.len()));
        self.bytes.extend_from_slice(bytes);
        self.bytes.push(0);
    }

    /// Appends string `index` again, as a second pointer to the same bytes.
    fn push_again(&mut self, index: usize) {
        self.ptrs.push(self.ptrs[index]);
    }

    /// Ends a list inside the array with a null pointer, as `execve` ends
    /// `argv`; more strings may follow it.
    fn end_list(&mut self) {
        self.ptrs.push(std::ptr::without_provenance(LIST_END));
    }

    /// String `index`, once finished.
    fn string(&self, index: usize) -> Option<&CStr> {
        let ptr = *self.ptrs.get(index).filter(|p| !p.is_null())?;
        // SAFETY: after `finish`, a non-null entry points to a
        // NUL-terminated string in `bytes`, which lives as long as `self`.
        Some(unsafe { CStr::from_ptr(ptr) })
    }

    /// How many strings it holds, until `finish`.
    pub(crate) fn len(&self) -> usize {
        self.ptrs.len()
    }

    pub(crate) fn finish(mut self) -> StringArray {
        // Held as long as the graph: no spare capacity.
        self.bytes.shrink_to_fit();
        let base = self.bytes.as_ptr();
        for ptr in &mut self.ptrs {
            *ptr = match ptr.addr() {
                LIST_END => std::ptr::null(),
                // SAFETY: every other entry holds the offset of a string in
                // `bytes`.
                start => unsafe { base.add(start) }.cast::<c_char>(),
            };
        }
        self.ptrs.push(std::ptr::null());
        self.ptrs.shrink_to_fit();
        self
    }
}

/// A command's parts, each checked for NUL bytes.
struct Parts<'a> {
    args: Vec<&'a [u8]>,
    envp: Arc<StringArray>,
    /// Where in `envp` the `LISTEN_PID` placeholder is, if the node is
    /// socket-activated.
    listen_pid: Option<usize>,
    candidates: Vec<Vec<u8>>,
    cwd: Option<&'a std::ffi::OsStr>,
}

impl<'a> Parts<'a> {
    fn of(
        command: &'a Command,
        inherited: &mut InheritedEnv,
        extra_env: &[(OsString, OsString)],
    ) -> Result<Parts<'a>, String> {
        let program = command.program.as_bytes();
        if program.is_empty() {
            return Err("the program name is empty".to_owned());
        }
        let nul = |bytes: &[u8], what: &dyn Fn() -> String| {
            if bytes.contains(&0) {
                Err(format!("{} contains a NUL byte", what()))
            } else {
                Ok(())
            }
        };
        nul(program, &|| "the program name".to_owned())?;
        let arg0 = command.arg0.as_deref().map_or(program, OsStrExt::as_bytes);
        nul(arg0, &|| "arg0".to_owned())?;
        if let Some(problem) = command.credentials.problem() {
            return Err(problem);
        }
        let mut args = vec![arg0];
        for (i, arg) in command.args.iter().enumerate() {
            nul(arg.as_bytes(), &|| format!("argument {}", i + 1))?;
            args.push(arg.as_bytes());
        }
        // Only names the user set are checked: inherited entries pass
        // through as they are, as `std::process::Command` passes them.
        let set_names = command.env.keys().chain(extra_env.iter().map(|(k, _)| k));
        for key in set_names {
            if key.is_empty() || key.as_bytes().contains(&b'=') {
                return Err(format!(
                    "environment variable name {key:?} is empty or holds '='"
                ));
            }
        }
        let unchanged = !command.env_clear && command.env.is_empty() && extra_env.is_empty();
        let (env, envp) = if unchanged {
            (None, inherited.envp()?)
        } else {
            let env = child_environment(command, &inherited.vars, extra_env);
            let envp = Arc::new(string_array_of(&env)?);
            (Some(env), envp)
        };
        let cwd = command.cwd.as_deref().map(std::path::Path::as_os_str);
        if let Some(dir) = cwd {
            nul(dir.as_bytes(), &|| "the working directory".to_owned())?;
        }
        let path_var = env
            .as_ref()
            .unwrap_or(&inherited.vars)
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_bytes());
        let candidates = candidates(program, path_var);
        for candidate in &candidates {
            nul(candidate, &|| "the program path".to_owned())?;
        }
        let listen_pid = env
            .as_ref()
            .and_then(|env| env.iter().position(|(k, _)| k == "LISTEN_PID"))
            .filter(|_| extra_env.iter().any(|(k, _)| k == "LISTEN_PID"));
        Ok(Parts {
            args,
            envp,
            listen_pid,
            candidates,
            cwd,
        })
    }
}

impl ExecSpec {
    /// Prepares `command` for a node outside scopes: its environment is
    /// `inherited` (the parent's, read once for the whole graph) unless it
    /// clears it, with its changes and then `extra_env` on top. The error
    /// says which part holds a NUL byte, or which name set by the command is
    /// empty or holds `=`.
    ///
    /// Inherited entries are not checked: `std::env::vars_os` splits each
    /// at the first `=` after its first byte (as glibc's `getenv` does), so
    /// an entry such as `=weird=1` comes back as name `=weird`, value `1`,
    /// and is passed on byte for byte.
    pub(crate) fn new(
        command: &Command,
        inherited: &mut InheritedEnv,
        extra_env: &[(OsString, OsString)],
    ) -> Result<ExecSpec, String> {
        let mut parts = Parts::of(command, inherited, extra_env)?;
        let listen_pid = parts
            .listen_pid
            .map(|index| ListenPidSlot::take_over(&mut parts.envp, index));
        // One array for all of it: `argv`, a null, the candidates, a null,
        // then the directory if there is one (and the final null).
        let mut argv = StringArray::default();
        for arg in &parts.args {
            argv.push_bytes(arg);
        }
        argv.end_list();
        let candidates = argv.len();
        for candidate in &parts.candidates {
            // Most commands name their program by a path, which is also
            // their `argv[0]`: the node holds the path once.
            match candidate[..] == *parts.args[0] {
                true => argv.push_again(0),
                false => argv.push_bytes(candidate),
            }
        }
        argv.end_list();
        if let Some(dir) = parts.cwd {
            argv.push_bytes(dir.as_bytes());
        }
        Ok(ExecSpec {
            outlives_parent: false,
            listen_pid,
            setup: ChildSetup::of(command),
            target: Target::Path { candidates },
            argv: argv.finish(),
            envp: parts.envp,
        })
    }

    /// Prepares `command` for a node in a scope, or one that changes its
    /// ids: the carried program enters the scope (if any) as `entry` says,
    /// drops to the command's ids, then runs the command (cloning it into
    /// the scope's pid namespace as `clone` says). `as_root`: the
    /// application runs as root, so a uid or gid change clears the
    /// supplementary groups unless the command sets them. `scope_ids`: the
    /// scope has a user namespace, whose ids the node takes where the
    /// command sets none (joining it changes no id).
    pub(crate) fn joining(
        command: &Command,
        inherited: &mut InheritedEnv,
        extra_env: &[(OsString, OsString)],
        entry: &Entry,
        clone: Option<NodeClone>,
        as_root: bool,
        scope_ids: Option<InsideIds>,
    ) -> Result<ExecSpec, String> {
        let parts = Parts::of(command, inherited, extra_env)?;
        let credentials = &command.credentials;
        let changes_ids = credentials.uid.is_some() || credentials.gid.is_some();
        let ids = IdChange {
            uid: credentials.uid.or(scope_ids.map(|s| s.uid)),
            gid: credentials.gid.or(scope_ids.map(|s| s.gid)),
            groups: match &credentials.groups {
                Some(groups) => Some(&groups[..]),
                None if scope_ids.is_some_and(|s| s.clear_groups) => Some(&[][..]),
                None if changes_ids && as_root && scope_ids.is_none() => Some(&[][..]),
                None => None,
            },
        };
        let argv = join_arguments(
            entry,
            clone,
            parts.cwd,
            &ids,
            parts.listen_pid,
            &parts.candidates,
            &parts.args,
        );
        Ok(ExecSpec {
            outlives_parent: false,
            listen_pid: None,
            setup: ChildSetup::of(command),
            target: Target::Program(entry.fds),
            argv,
            envp: parts.envp,
        })
    }

    /// The carried program with `argv` and an empty environment.
    pub(crate) fn program(argv: StringArray, fds: ProgramFds) -> ExecSpec {
        ExecSpec {
            target: Target::Program(fds),
            setup: ChildSetup {
                group_only: true,
                ..ChildSetup::default()
            },
            outlives_parent: false,
            listen_pid: None,
            argv,
            envp: Arc::new(StringArray::default().finish()),
        }
    }

    /// Lets go of what a node that never starts again holds (a node
    /// removed from a running graph): its arrays, and with a command of its
    /// own environment a copy of all of it. What is left spawns nothing.
    pub(crate) fn forget(&mut self) {
        static EMPTY: OnceLock<Arc<StringArray>> = OnceLock::new();
        let empty = EMPTY.get_or_init(|| Arc::new(StringArray::default().finish()));
        *self = ExecSpec {
            target: Target::Path { candidates: 0 },
            setup: ChildSetup::default(),
            outlives_parent: false,
            listen_pid: None,
            argv: StringArray::default().finish(),
            envp: Arc::clone(empty),
        };
    }

    /// The carried program as the cgroup watcher, which must outlive the
    /// application: no parent-death signal.
    pub(crate) fn watcher(argv: StringArray, fds: ProgramFds) -> ExecSpec {
        ExecSpec {
            outlives_parent: true,
            ..ExecSpec::program(argv, fds)
        }
    }

    /// What the child executes, read from this spec.
    pub(crate) fn child_target(&self) -> ChildTarget<'_> {
        match self.target {
            Target::Path { candidates } => {
                let rest = &self.argv.ptrs[candidates..];
                let end = rest.iter().position(|p| p.is_null()).unwrap_or(rest.len());
                let cwd = rest.get(end + 1).filter(|p| !p.is_null()).map(|&dir| {
                    // SAFETY: a non-null entry points to a NUL-terminated
                    // string in `bytes`, which lives as long as `self`.
                    unsafe { CStr::from_ptr(dir) }
                });
                ChildTarget::Path {
                    candidates: &rest[..end],
                    cwd,
                }
            }
            Target::Program(_) => ChildTarget::Program,
        }
    }

    /// The paths its `execve` tries, and the directory it changes to
    /// first: what a failed start's message names.
    pub(crate) fn paths(&self) -> (Vec<&CStr>, Option<&CStr>) {
        match self.child_target() {
            ChildTarget::Path { candidates, cwd } => {
                let candidates = candidates.iter().map(|&p| {
                    // SAFETY: as in `child_target`.
                    unsafe { CStr::from_ptr(p) }
                });
                (candidates.collect(), cwd)
            }
            ChildTarget::Program => super::carried::joined_paths(|i| self.argv.string(i)),
        }
    }

    pub(crate) fn argv(&self) -> *const *const c_char {
        self.argv.ptrs.as_ptr()
    }

    pub(crate) fn envp(&self) -> *const *const c_char {
        self.envp.ptrs.as_ptr()
    }
}

/// `KEY=value` strings as an `execve` array; the error names a variable
/// that holds a NUL byte.
fn string_array_of(env: &[(OsString, OsString)]) -> Result<StringArray, String> {
    // Sized once: "NAME=value" and its NUL per entry, a pointer each and
    // the final null.
    let bytes = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut envp = StringArray {
        bytes: Vec::with_capacity(bytes),
        ptrs: Vec::with_capacity(env.len() + 1),
    };
    for (key, value) in env {
        envp.push(&[key.as_bytes(), b"=", value.as_bytes()], || {
            format!("environment variable {key:?}")
        })?;
    }
    Ok(envp.finish())
}

/// The child's environment: `inherited` (unless cleared), then the
/// command's changes, then `extra` (variables the runtime sets).
fn child_environment(
    command: &Command,
    inherited: &[(OsString, OsString)],
    extra: &[(OsString, OsString)],
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = if command.env_clear {
        Vec::new()
    } else {
        inherited.to_vec()
    };
    let changes = command.env.iter().map(|(k, v)| (k, v.as_ref()));
    let extra = extra.iter().map(|(k, v)| (k, Some(v)));
    for (key, value) in changes.chain(extra) {
        env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            env.push((key.clone(), value.clone()));
        }
    }
    env
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
            ExecSpec::new(&cmd, &mut InheritedEnv::default(), &[]).unwrap_err(),
            "argument 2 contains a NUL byte"
        );
    }

    #[test]
    fn inherited_entries_pass_through_unchecked() {
        let mut inherited = InheritedEnv {
            vars: vec![
                (OsString::from("=weird"), OsString::from("1")),
                (OsString::from("A"), OsString::from("=b")),
            ],
            envp: None,
        };
        let spec = ExecSpec::new(&Command::new("env"), &mut inherited, &[]).unwrap();
        assert_eq!(spec.envp.bytes, b"=weird=1\0A==b\0");
    }

    #[test]
    fn a_name_the_user_sets_is_checked() {
        for (name, cmd) in [
            ("=weird", Command::new("env").env("=weird", "1")),
            ("", Command::new("env").env_remove("")),
        ] {
            assert_eq!(
                ExecSpec::new(&cmd, &mut InheritedEnv::default(), &[]).unwrap_err(),
                format!("environment variable name {name:?} is empty or holds '='")
            );
        }
    }

    #[test]
    fn environment_changes_apply_over_a_cleared_base() {
        let cmd = Command::new("env").env_clear().env("A", "1");
        let spec = ExecSpec::new(&cmd, &mut InheritedEnv::default(), &[]).unwrap();
        assert_eq!(spec.envp.bytes, b"A=1\0");
        assert_eq!(
            spec.envp.ptrs.len(),
            2,
            "one entry and the terminating null"
        );
    }

    #[test]
    fn nodes_that_inherit_the_environment_unchanged_share_one_array() {
        let mut inherited = InheritedEnv {
            vars: vec![(OsString::from("A"), OsString::from("1"))],
            envp: None,
        };
        let plain = ExecSpec::new(&Command::new("a"), &mut inherited, &[]).unwrap();
        let other = ExecSpec::new(&Command::new("b"), &mut inherited, &[]).unwrap();
        let changed = ExecSpec::new(&Command::new("c").env("B", "2"), &mut inherited, &[]).unwrap();
        assert!(Arc::ptr_eq(&plain.envp, &other.envp));
        assert!(!Arc::ptr_eq(&plain.envp, &changed.envp));
        assert_eq!(changed.envp.bytes, b"A=1\0B=2\0");
    }

    /// `argv`, the candidates and the directory as the child reads them.
    fn strings(spec: &ExecSpec) -> (Vec<&CStr>, Vec<&CStr>, Option<&CStr>) {
        let ChildTarget::Path { candidates, cwd } = spec.child_target() else {
            panic!("a node outside scopes executes a path");
        };
        // SAFETY: non-null entries of the spec's array, alive as long as it.
        let read =
            |ptrs: &[*const c_char]| ptrs.iter().map(|&p| unsafe { CStr::from_ptr(p) }).collect();
        let argc = spec.argv.ptrs.iter().position(|p| p.is_null()).unwrap();
        (read(&spec.argv.ptrs[..argc]), read(candidates), cwd)
    }

    #[test]
    fn argv_candidates_and_directory_share_one_array() {
        let env = |path: &str| InheritedEnv {
            vars: vec![(OsString::from("PATH"), OsString::from(path))],
            envp: None,
        };
        let cmd = Command::new("run").arg("-x").current_dir("/srv");
        let spec = ExecSpec::new(&cmd, &mut env("/a:/b"), &[]).unwrap();
        assert_eq!(
            strings(&spec),
            (
                vec![c"run", c"-x"],
                vec![c"/a/run", c"/b/run"],
                Some(c"/srv")
            )
        );
        assert_eq!(spec.argv.bytes, b"run\0-x\0/a/run\0/b/run\0/srv\0");
        let plain = ExecSpec::new(&Command::new("/bin/run"), &mut env("/a"), &[]).unwrap();
        assert_eq!(
            strings(&plain),
            (vec![c"/bin/run"], vec![c"/bin/run"], None)
        );
        assert_eq!(
            plain.argv.ptrs.len(),
            5,
            "argv, null, a candidate, null, null"
        );
        assert_eq!(plain.argv.bytes, b"/bin/run\0", "the path held once");
        let renamed = Command::new("/bin/run").arg0("run");
        let renamed = ExecSpec::new(&renamed, &mut env("/a"), &[]).unwrap();
        assert_eq!(strings(&renamed), (vec![c"run"], vec![c"/bin/run"], None));
    }
}
