//! The `Launcher`: everything needed to start any node of a graph, at any
//! time — the prebuilt `execve` arguments, the edge fds the parent holds,
//! `/dev/null`, and the graph's output thread with the sinks of its
//! forwarded streams — so that a restart costs one `clone3` (and a pipe per
//! forwarded stream) and nothing is rebuilt.

use std::ffi::{CStr, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use rustix::process::Pid;

use rustix::fs::{Mode, OFlags};
use rustix::pipe::{PipeFlags, pipe_with};

use super::extras::{Extras, Passed};
use super::sinks::{OpenedSinks, SinkTable, open_sinks};
use super::{
    Entry, ExecSpec, FdMove, HeldEdge, InheritedEnv, NodeClone, ParentEnd, ProgramFds, Started,
    Target, start_process,
};
use process_graph_topology::{ProbeCheck, ProbeInfo};

use crate::cgroup::{GraphCgroup, NodeRef};
use crate::command::Command;
use crate::credentials::ProcessGroup;
use crate::error::{Error, SpawnError, Step};
use crate::forward::{Forwarded, Forwarder};
use crate::graph::{Graph, ScopeId};
use crate::listener::{Listener, SocketFile};
use crate::output::LineWatch;
use crate::output::{Clock, Stream, Write};
use crate::plan::{FdSource, NodePlan, Plan};
use crate::probe::ProbeKind;
use crate::scope::{ScopeRuntime, Scopes, ScopesMark};
use crate::terminal::Terminal;

/// The command of an exec probe: `argv` with the node's environment,
/// working directory and credentials (what the program checks is usually
/// set there, as `PGPORT` for `pg_isready`), in a process group of its own;
/// `None` for any other probe.
fn probe_command(node: &Command, probe: &ProbeInfo) -> Option<Command> {
    let ProbeCheck::Exec(argv) = &probe.check else {
        return None;
    };
    let (program, args) = argv.split_first()?;
    let mut command = node.clone();
    command.program = (**program).into();
    command.args = args.iter().map(|a| (**a).into()).collect();
    command.stdin = None;
    command.stdout = None;
    command.stderr = None;
    command.process_group = ProcessGroup::Own;
    Some(command)
}

/// A node that has just been started.
#[derive(Debug)]
pub(crate) struct Launched {
    /// Running, or still being started in its scope by the carried program.
    pub(crate) process: Started,
    /// The read end of its readiness pipe, for `Readiness::Fd`.
    pub(crate) ready_pipe: Option<OwnedFd>,
}

/// What adding nodes to a launcher hands out: the parent's end of each new
/// edge.
pub(crate) struct Added {
    pub(crate) parent_ends: Vec<Option<ParentEnd>>,
}

/// An add made ready by [`Launcher::prepare_add`]: everything the new nodes
/// need, made, and nothing appended to the launcher yet (but their
/// cgroups): [`Launcher::commit`] appends it, and cannot fail;
/// [`Launcher::abandon`] undoes it.
pub(crate) struct PendingAdd {
    first_node: usize,
    plans: Vec<NodePlan>,
    execs: Vec<ExecSpec>,
    extras: Vec<Option<Box<Extras>>>,
    edges: Vec<HeldEdge>,
    parent_ends: Vec<Option<ParentEnd>>,
    dev_null: Option<OwnedFd>,
    /// The output thread, if this add starts it.
    output: Option<Forwarder>,
    /// The nodes whose streams are forwarded, by index with their names.
    forwarding: Vec<(usize, String)>,
    /// The sinks opened for them, by slot: each one's file, and writer.
    new_sinks: Vec<(usize, Option<PathBuf>)>,
    writers: Vec<(usize, Box<dyn Write + Send>)>,
    socket_files: Vec<Arc<SocketFile>>,
}

/// What starting a graph hands to the application.
pub(crate) struct LaunchKit {
    pub(crate) launcher: Launcher,
    pub(crate) parent_ends: Vec<Option<ParentEnd>>,
}

#[derive(Debug)]
pub(crate) struct Launcher {
    // Field order is drop order: the scope inits die after everything else.
    plans: Vec<NodePlan>,
    execs: Vec<ExecSpec>,
    /// Per node: its scope, exec probes, log-line probe, forwarded streams'
    /// sinks, terminal and passed fds, for the few nodes that have any.
    extras: Vec<Option<Box<Extras>>>,
    edges: Vec<HeldEdge>,
    dev_null: Option<OwnedFd>,
    /// The graph's output thread, once a stream is forwarded.
    output: Option<Forwarder>,
    /// The sinks of the output thread, by slot, while a stream uses them.
    sinks: SinkTable,
    /// When the graph started: what `Timestamps::SinceStart` counts from.
    clock: Clock,
    /// The files of the unix sockets the runtime bound, removed when the
    /// graph ends.
    _socket_files: Vec<Arc<SocketFile>>,
    /// The application's pid: children check it is still their parent.
    app_pid: Pid,
    /// The graph's cgroups, if it has them; dropping them kills whatever
    /// is left in them and removes them.
    cgroups: Option<GraphCgroup>,
    /// The graph's scopes, held by their inits; emptied when the graph ends.
    scopes: Scopes,
}

impl Launcher {
    /// Prepares every node of a validated graph; `extra_env[i]` is added to
    /// node `i`'s environment (e.g. `NOTIFY_SOCKET`).
    pub(crate) fn prepare(
        graph: &Graph,
        scopes: Scopes,
        extra_env: &[Vec<(OsString, OsString)>],
    ) -> Result<LaunchKit, Error> {
        // First, so that the watcher's fork copies as few fds as possible.
        let cgroups = crate::cgroup::prepare(graph)?;
        let mut launcher = Launcher {
            plans: Vec::new(),
            execs: Vec::new(),
            extras: Vec::new(),
            edges: Vec::new(),
            dev_null: None,
            output: None,
            sinks: SinkTable::default(),
            clock: Clock::new(),
            _socket_files: Vec::new(),
            app_pid: rustix::process::getpid(),
            cgroups,
            scopes,
        };
        let pending = launcher.prepare_add(graph, 0, extra_env)?;
        let Added { parent_ends } = launcher.commit(pending);
        Ok(LaunchKit {
            launcher,
            parent_ends,
        })
    }

    /// Makes what the nodes and edges of a validated `graph` need to be
    /// appended after those the launcher has — node `i` of `graph` becomes
    /// node `first + i`, edge `e` edge `first_edge + e` — with a cgroup each
    /// where the graph has cgroups: every step of an add that may fail.
    /// Nothing is left if one does. The scopes of `graph` are the
    /// launcher's, from `first_scope` on (see
    /// [`add_scopes`](Self::add_scopes)).
    pub(crate) fn prepare_add(
        &mut self,
        graph: &Graph,
        first_scope: usize,
        extra_env: &[Vec<(OsString, OsString)>],
    ) -> Result<PendingAdd, Error> {
        let (first_node, first_edge) = (self.plans.len(), self.edges.len());
        let plan = Plan::of(graph);
        // Read the parent's environment once for every node (and only if a
        // node inherits it).
        let mut inherited = if graph.nodes.iter().all(|n| n.command.env_clear) {
            InheritedEnv::default()
        } else {
            InheritedEnv::read()
        };
        let mut edges = Vec::with_capacity(graph.edges.len());
        let mut parent_ends = Vec::with_capacity(graph.edges.len());
        for edge in &graph.edges {
            let (held, parent_end) = HeldEdge::new(&edge.kind, first_node)
                .map_err(|e| Error::io(None, "create edge", e))?;
            edges.push(held);
            parent_ends.push(parent_end);
        }
        let needs_null = plan
            .nodes
            .iter()
            .flat_map(|n| &n.fds)
            .any(|a| a.source == FdSource::DevNull)
            || graph.nodes.iter().any(|n| {
                [&n.options.rare().ready_probe, &n.options.rare().live_probe]
                    .into_iter()
                    .flatten()
                    .any(|p| matches!(p.check, ProbeCheck::Exec(_)))
            });
        let dev_null = (needs_null && self.dev_null.is_none())
            .then(|| rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()))
            .transpose()
            .map_err(|e| Error::io(None, "open /dev/null", e))?;
        let OpenedSinks {
            sinks_of,
            new: new_sinks,
            writers,
        } = open_sinks(graph, &plan, &self.sinks, self.clock)?;
        // The output thread knows the nodes whose streams it forwards.
        let forwarding: Vec<(usize, String)> = (first_node..)
            .zip(&graph.nodes)
            .zip(&sinks_of)
            .filter(|(_, of_node)| !of_node.is_empty())
            .map(|((index, node), _)| (index, node.name.clone()))
            .collect();
        let forwards = !forwarding.is_empty();
        // Started with the first node whose output is forwarded.
        let output = (forwards && self.output.is_none())
            .then(Forwarder::start)
            .transpose()
            .map_err(|e| Error::io(None, "start the output thread", e))?;
        let (terminals, terminal_ends) = open_terminals(graph, &plan)?;
        let app_pid = self.app_pid;
        let scopes = &self.scopes;
        let has_cgroups = self.cgroups.is_some();
        let as_root = rustix::process::geteuid().is_root();
        // The `execve` of `command`: directly, or through the carried
        // program (into a scope, or to change credentials), whose own fds
        // go at `above` and up. `terminal`: the fd of the node's
        // pseudo-terminal, made its controlling terminal by the process
        // that leads its session.
        let mut exec_of = |command: &Command,
                           env: &[(OsString, OsString)],
                           scope: Option<ScopeId>,
                           above: i32,
                           terminal: Option<i32>| {
            let leads_the_session = |mut exec: ExecSpec| {
                exec.setup.controlling_terminal = terminal;
                exec
            };
            match scope {
                None if !command.credentials.any() => {
                    ExecSpec::new(command, &mut inherited, env).map(leads_the_session)
                }
                None => {
                    let entry = Entry {
                        app_pid: app_pid.as_raw_nonzero().get(),
                        fds: ProgramFds {
                            report: above,
                            scope: None,
                            node_cgroup: None,
                        },
                        join_flags: 0,
                    };
                    ExecSpec::joining(command, &mut inherited, env, &entry, None, as_root, None)
                        .map(leads_the_session)
                }
                Some(_) if command.process_group != ProcessGroup::Own => {
                    Err("a node in a scope runs in a process group of its own; \
                         ProcessGroup::Application is for nodes outside scopes"
                        .to_owned())
                }
                Some(id) => {
                    let Some(scope) = scopes.try_get(id) else {
                        return Err("its scope has ended".to_owned());
                    };
                    let clone_child = scope.has_pid_namespace();
                    // Its processes run in a leaf of the node's cgroup,
                    // which the program clones the node into (see
                    // `clone_cgroups`): placed after the namespace fds.
                    let in_a_leaf = has_cgroups && scope.as_the_application();
                    let scope_fds = scope.namespace_fds().len() as i32;
                    let entry = Entry {
                        app_pid: app_pid.as_raw_nonzero().get(),
                        fds: ProgramFds {
                            report: above,
                            scope: Some(above + 1),
                            node_cgroup: (clone_child && in_a_leaf)
                                .then_some(above + 1 + scope_fds),
                        },
                        join_flags: scope.namespaces(),
                    };
                    let ids = scope.inside_ids();
                    // A clone of the node leads a session of its own.
                    let clone = clone_child.then_some(NodeClone {
                        controlling_terminal: terminal,
                    });
                    let exec = ExecSpec::joining(
                        command,
                        &mut inherited,
                        env,
                        &entry,
                        clone,
                        as_root,
                        ids,
                    );
                    if clone_child {
                        exec
                    } else {
                        exec.map(leads_the_session)
                    }
                }
            }
        };
        // A scope of `graph` by its id among the launcher's.
        let among_launchers = |s: ScopeId| ScopeId::from_index(first_scope + s.index());
        let mut execs = Vec::with_capacity(graph.nodes.len());
        let mut extras = Vec::with_capacity(graph.nodes.len());
        let mut socket_files = Vec::new();
        let mut bound_before = Vec::new();
        let per_node = sinks_of.into_iter().zip(terminals).zip(terminal_ends);
        for (((node, node_plan), env), ((sinks, terminal), terminal_end)) in graph
            .nodes
            .iter()
            .zip(&plan.nodes)
            .zip(extra_env)
            .zip(per_node)
        {
            let failed = |problem| Error::Command {
                node: node.name.clone(),
                problem,
            };
            let mut extra = Extras {
                scope: node.options.rare().scope.map(among_launchers),
                sinks,
                terminal,
                terminal_end,
                ..Extras::default()
            };
            let listen = listen_env(&node.command.listeners);
            let env = match listen.is_empty() {
                true => env.clone(),
                false => env.iter().cloned().chain(listen).collect(),
            };
            let above = node_plan.fds.iter().map(|a| a.target).fold(2, i32::max) + 1;
            let terminal = node_plan.terminal();
            let exec = exec_of(&node.command, &env, extra.scope, above, terminal);
            execs.push(exec.map_err(failed)?);
            // An exec probe has stdin, stdout and stderr only.
            let [ready, live] = [
                &node.options.rare().ready_probe,
                &node.options.rare().live_probe,
            ]
            .map(|probe| {
                let command = probe_command(&node.command, probe.as_ref()?)?;
                Some(
                    exec_of(&command, &[], extra.scope, 3, None).map_err(|problem| {
                        failed(format!("exec probe {:?}: {problem}", command.program))
                    }),
                )
            });
            extra.probe_execs = [ready.transpose()?, live.transpose()?];
            extra.line_watch = node
                .options
                .watches_output()
                .then(|| LineWatch::new(node.options.rare().ready_probe.as_ref()))
                .flatten()
                .transpose()
                .map_err(|e| Error::io(Some(&node.name), "create the log-line eventfd", e))?;
            let command = &node.command;
            extra.passed = command
                .passed_fds()
                .map(|(target, fd)| (target, Passed::Fd(Arc::clone(fd))))
                .collect();
            for (target, listener) in (3..).zip(&command.listeners) {
                let socket = listener
                    .bound(&mut bound_before)
                    .map_err(|e| Error::io(Some(&node.name), "bind the listening socket", e))?;
                socket_files.extend(socket.file.clone());
                extra.passed.push((target, Passed::Listener(socket)));
            }
            extras.push(extra.boxed());
        }
        // The last step that may fail, undone by itself if it does.
        self.add_cgroups(graph)?;
        let mut plans = plan.nodes;
        for node_plan in &mut plans {
            for assignment in &mut node_plan.fds {
                assignment.source = assignment.source.shifted(first_edge);
            }
            // Held as long as the graph: no spare capacity.
            node_plan.fds.shrink_to_fit();
        }
        Ok(PendingAdd {
            first_node,
            plans,
            execs,
            extras,
            edges,
            parent_ends,
            dev_null,
            output,
            forwarding,
            new_sinks,
            writers,
            socket_files,
        })
    }

    /// Undoes an add prepared but not committed: removes the cgroups it
    /// made; the rest goes with `pending` (the output thread, if it started
    /// it, is stopped and joined).
    pub(crate) fn abandon(&mut self, pending: PendingAdd) {
        if let Some(cgroups) = &mut self.cgroups {
            cgroups.truncate(pending.first_node);
        }
    }

    /// Appends an add [`prepare_add`](Self::prepare_add) made ready, with
    /// nothing appended since: cannot fail.
    pub(crate) fn commit(&mut self, pending: PendingAdd) -> Added {
        let PendingAdd {
            first_node: _,
            plans,
            execs,
            extras,
            edges,
            parent_ends,
            dev_null,
            output,
            forwarding,
            new_sinks,
            writers,
            socket_files,
        } = pending;
        append(&mut self.edges, edges);
        if dev_null.is_some() {
            self.dev_null = dev_null;
        }
        if output.is_some() {
            self.output = output;
        }
        if let Some(output) = self.output.as_ref().filter(|_| !forwarding.is_empty()) {
            output.add_nodes(forwarding, writers);
            let streams = extras.iter().flatten().flat_map(|extra| &extra.sinks);
            self.sinks.commit(new_sinks, streams.copied());
        }
        for scope in extras.iter().flatten().filter_map(|extra| extra.scope) {
            self.scopes.join(scope);
        }
        append(&mut self.extras, extras);
        self._socket_files.extend(socket_files);
        append(&mut self.execs, execs);
        append(&mut self.plans, plans);
        Added { parent_ends }
    }

    /// Gives the nodes of `graph`, about to be appended, a cgroup each with
    /// their limits, where the graph has cgroups and they have none yet
    /// (`cgroup::prepare` made those of the first nodes); on failure,
    /// removes the ones it made.
    fn add_cgroups(&mut self, graph: &Graph) -> Result<(), Error> {
        let first = self.plans.len();
        let Some(cgroups) = &mut self.cgroups else {
            return Ok(());
        };
        for (index, node) in (first..).zip(&graph.nodes) {
            if index < cgroups.node_count() {
                continue;
            }
            let made = cgroups
                .add_node(&node.name)
                .and_then(|()| cgroups.limit(index, node.options.rare().limits));
            if let Err(e) = made {
                cgroups.truncate(first);
                return Err(Error::io(Some(&node.name), "create the node's cgroup", e));
            }
        }
        Ok(())
    }

    /// Starts node `index`, named `name`, creating the edges it is the
    /// first to use.
    pub(crate) fn launch(&mut self, index: usize, name: &str) -> Result<Launched, SpawnError> {
        let failed = |(step, errno)| {
            SpawnError::new(
                crate::NodeId::from_index(index),
                name.to_owned(),
                step,
                errno,
            )
        };
        let plan = &self.plans[index];
        for assignment in &plan.fds {
            if let Some(edge) = assignment.source.edge() {
                let held = &mut self.edges[edge.index()];
                if held.is_created() {
                    continue;
                }
                held.create().map_err(|e| {
                    failed((
                        Step::CreateEdge {
                            fd: assignment.target,
                        },
                        e.raw_os_error().unwrap_or(libc::EIO),
                    ))
                })?;
            }
        }
        // Only the parent's end is non-blocking; the child gets a plain fd.
        let ready = plan
            .fds
            .iter()
            .any(|a| a.source == FdSource::Ready)
            .then(|| {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                rustix::fs::fcntl_setfl(&read, rustix::fs::OFlags::NONBLOCK)?;
                Ok::<_, rustix::io::Errno>((read, write))
            })
            .transpose()
            .map_err(|e| failed((Step::ReadinessPipe, e.raw_os_error())))?;
        // New pipes for every start: the output thread sees this start's
        // EOF, and delivers its partial last line, when it has ended.
        let forwarded = plan
            .forwarded_streams()
            .map(|fd| {
                pipe_with(PipeFlags::CLOEXEC)
                    .map_err(|e| failed((Step::OutputPipe { fd }, e.raw_os_error())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let extra = self.extras[index].as_deref();
        let terminal = extra
            .and_then(|e| e.terminal.as_ref())
            .map(Terminal::open_node_end)
            .transpose()
            .map_err(|e| failed((Step::TerminalOpen, e.raw_os_error().unwrap_or(libc::EIO))))?;
        let mut output_writer = forwarded.iter().map(|(_, write)| write);
        let passed = extra.map_or(&[][..], |e| &e.passed);
        let mut fds: Vec<FdMove> = plan
            .fds
            .iter()
            .map(|a| FdMove {
                target: a.target,
                src: match a.source {
                    FdSource::DevNull => self.dev_null.as_ref().map_or(-1, AsRawFd::as_raw_fd),
                    FdSource::Forwarded => output_writer.next().map_or(-1, AsRawFd::as_raw_fd),
                    FdSource::Ready => ready.as_ref().map_or(-1, |(_, w)| w.as_raw_fd()),
                    FdSource::Terminal => terminal.as_ref().map_or(-1, AsRawFd::as_raw_fd),
                    FdSource::Passed | FdSource::Listener(_) => passed
                        .iter()
                        .find(|(target, _)| *target == a.target)
                        .map_or(-1, |(_, fd)| fd.as_raw_fd()),
                    FdSource::PipeRead(e) | FdSource::PipeWrite(e) | FdSource::Socket(e, _) => {
                        self.edges[e.index()].raw(a.source)
                    }
                },
            })
            .collect();
        if let Some(released) = fds.iter().find(|m| m.src < 0) {
            return Err(failed((
                Step::EdgeReleased {
                    fd: released.target,
                },
                libc::EBADF,
            )));
        }
        let own_leaf = self.may_write_its_cgroup(index);
        if let Some(cgroups) = &mut self.cgroups {
            cgroups
                .ready_for_start(index, own_leaf)
                .map_err(|e| failed((Step::NodeCgroup, e.raw_os_error().unwrap_or(libc::EIO))))?;
        }
        // Open only for the clone: see `cgroup/node.rs`.
        let exec = &self.execs[index];
        let cgroups = self
            .cgroup(index)
            .map(|c| c.open_dir())
            .transpose()
            .and_then(|runs_in| self.clone_cgroups(index, exec, runs_in, &mut fds))
            .map_err(|e| failed((Step::NodeCgroup, e.raw_os_error().unwrap_or(libc::EIO))))?;
        let scope = self.scope_fds(index);
        let process = start_process(exec, fds, self.app_pid, scope, cgroups.clone_into())
            .map_err(|e| self.naming_path(index, failed(e)))?;
        if let Some(output) = &self.output
            && let Some(extra) = self.extras[index].as_deref()
        {
            let streams = plan.forwarded_streams().zip(&extra.sinks);
            for ((fd, &sink), (read_end, _write_end)) in streams.zip(forwarded) {
                output.add(Forwarded {
                    node: index,
                    stream: Stream::of_fd(fd),
                    sink,
                    // Held as long as the node runs: above what spawns copy.
                    read_end: crate::sys::held_high(read_end),
                    watch: extra.line_watch.clone(),
                });
            }
        }
        Ok(Launched {
            process,
            ready_pipe: ready.map(|(read, _write)| read),
        })
    }

    /// `error`, a failed start of node `index`, naming the program of a
    /// failed `execve` (the path tried; the name searched for where `PATH`
    /// gave several) or the directory of a failed `chdir`.
    pub(crate) fn naming_path(&self, index: usize, error: SpawnError) -> SpawnError {
        let (candidates, cwd) = self.execs[index].paths();
        let path = match error.step() {
            Step::Execve => match &candidates[..] {
                [program] => Some(program.to_bytes()),
                [first, ..] => first.to_bytes().rsplit(|&b| b == b'/').next(),
                [] => None,
            },
            Step::Chdir => cwd.map(CStr::to_bytes),
            _ => None,
        };
        match path {
            Some(path) => error.naming(PathBuf::from(OsStr::from_bytes(path))),
            None => error,
        }
    }

    /// Starts node `index`'s exec probe of kind `kind`: its command, with
    /// stdin, stdout and stderr on `/dev/null`, in the node's scope, in a
    /// process group of its own. In the node's cgroup — or, for a node whose
    /// processes run in a leaf of it, in a fresh leaf beside the node's,
    /// removed at [`probe_ended`](Self::probe_ended).
    pub(crate) fn launch_probe(
        &mut self,
        index: usize,
        kind: ProbeKind,
    ) -> Result<Started, (Step, i32)> {
        let exec = self.extras[index]
            .as_deref()
            .and_then(|e| e.probe_exec(kind))
            .ok_or((Step::Execve, libc::ENOENT))?;
        let in_a_leaf = self.may_write_its_cgroup(index);
        let cgroup = match &mut self.cgroups {
            Some(cgroups) if in_a_leaf => Some(cgroups.probe_cgroup(index, kind)),
            Some(cgroups) => cgroups.node(index).map(|c| c.open_dir()),
            None => None,
        };
        let null = self.dev_null.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        let mut fds = (0..3).map(|target| FdMove { target, src: null }).collect();
        let started = cgroup
            .transpose()
            .and_then(|runs_in| self.clone_cgroups(index, exec, runs_in, &mut fds))
            .map_err(|e| (Step::NodeCgroup, e.raw_os_error().unwrap_or(libc::EIO)))
            .and_then(|cgroups| {
                let scope = self.scope_fds(index);
                start_process(exec, fds, self.app_pid, scope, cgroups.clone_into())
            });
        if started.is_err() {
            self.probe_ended(index, kind);
        }
        started
    }

    /// The attempt of node `index`'s exec probe `kind` was reaped (or could
    /// not start): the cgroup made for it, if any, is removed.
    pub(crate) fn probe_ended(&mut self, index: usize, kind: ProbeKind) {
        if let Some(cgroups) = &mut self.cgroups {
            cgroups.end_probe(index, kind);
        }
    }

    /// The cgroup directories a start of node `index` by `exec` needs,
    /// given `runs_in`, the one its processes run in. The clone goes into
    /// `runs_in` — unless the program
    /// clones the node into the scope's pid namespace, into a leaf of the
    /// node's cgroup (`ProgramFds::node_cgroup`): the program then starts in
    /// the node's own cgroup, which nothing in the scope can see, and gets
    /// `runs_in` to clone the node into. A node that freezes its leaf the
    /// moment it runs (through a cgroup namespace and mount of its own)
    /// then freezes nothing the application waits for: the program still
    /// reports, and exits.
    fn clone_cgroups(
        &self,
        index: usize,
        exec: &ExecSpec,
        runs_in: Option<OwnedFd>,
        fds: &mut Vec<FdMove>,
    ) -> io::Result<StartCgroups> {
        let Target::Program(ProgramFds {
            node_cgroup: Some(target),
            ..
        }) = exec.target
        else {
            return Ok(StartCgroups {
                clone_into: runs_in,
                _placed: None,
            });
        };
        // The program's arguments name the fd: it must be there.
        let leaf = runs_in.ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        let own = self.cgroup(index).map(|c| c.open_own_dir()).transpose()?;
        fds.push(FdMove {
            src: leaf.as_raw_fd(),
            target,
        });
        Ok(StartCgroups {
            clone_into: own,
            _placed: Some(leaf),
        })
    }

    /// Whether node `index`'s processes own its cgroup's files (its scope
    /// is the application's uid outside): through a cgroup namespace and
    /// mount of their own, they may write every file of the cgroup they
    /// run in, so they run in a leaf of the node's cgroup (see
    /// [`GraphCgroup::ready_for_start`](crate::cgroup::GraphCgroup::ready_for_start)).
    fn may_write_its_cgroup(&self, index: usize) -> bool {
        self.scope_of(index)
            .is_some_and(|(_, scope)| scope.as_the_application())
    }

    /// The eventfd that counts node `index`'s lines matching its log-line
    /// probe, if it has one.
    pub(crate) fn line_watch(&self, index: usize) -> Option<BorrowedFd<'_>> {
        let extra = self.extras.get(index)?.as_deref()?;
        extra.line_watch.as_ref().map(LineWatch::matched)
    }

    /// Appends the scopes of `graph`, about to be added: those standing for
    /// scopes the graph has are those, the others are created. Returns
    /// what [`truncate_scopes`](Self::truncate_scopes) goes back to, whose
    /// `next_declared` is the id of the graph's first scope.
    pub(crate) fn add_scopes(&mut self, graph: &Graph) -> Result<ScopesMark, Error> {
        let mark = self.scopes.mark();
        self.scopes.add(graph, true)?;
        Ok(mark)
    }

    /// The id the next scope added gets.
    pub(crate) fn next_scope_id(&self) -> usize {
        self.scopes.mark().next_declared()
    }

    /// Drops the scopes appended after `mark` (an add that failed).
    pub(crate) fn truncate_scopes(&mut self, mark: ScopesMark) {
        self.scopes.truncate(mark);
    }

    /// The `CLONE_NEW*` flags a process joins to be in scope `scope`, if
    /// the graph has it.
    pub(crate) fn scope_namespaces(&self, scope: ScopeId) -> Option<u32> {
        self.scopes.try_get(scope).map(ScopeRuntime::namespaces)
    }

    /// The live scope node `index` runs in, if any, and its place (see
    /// [`scope_at`](Self::scope_at)).
    pub(crate) fn scope_of(&self, index: usize) -> Option<(usize, &ScopeRuntime)> {
        let id = self.extras[index].as_deref()?.scope?;
        self.scopes.place_of(id)
    }

    /// The place of the scope whose init the pid namespace node `index`
    /// starts in has lost
    /// ([`Scopes::pid_namespace_ended`](crate::scope::Scopes::pid_namespace_ended)).
    pub(crate) fn pid_namespace_ended(
        &mut self,
        index: usize,
        before_close: impl FnMut(usize, BorrowedFd<'_>),
    ) -> Option<usize> {
        let scope = self.extras[index].as_deref().and_then(|e| e.scope)?;
        self.scopes.pid_namespace_ended(scope, before_close)
    }

    /// Reaps the init of the scope at `place` if it has exited
    /// ([`Scopes::reap_ended_init`](crate::scope::Scopes::reap_ended_init)).
    pub(crate) fn reap_ended_init(
        &mut self,
        place: usize,
        before_close: impl FnOnce(BorrowedFd<'_>),
    ) {
        self.scopes.reap_ended_init(place, before_close);
    }

    /// The scope node `index` runs in, and its place, where that scope's
    /// init is to kill what the node left when it ends: the node has no
    /// cgroup (which would), and is the only member of a scope with a pid
    /// namespace of its own (see [`ScopeRuntime::request_clear`]).
    pub(crate) fn scope_to_clear(&self, index: usize) -> Option<(usize, &ScopeRuntime)> {
        let id = self.extras[index].as_deref()?.scope?;
        let clears =
            self.cgroup(index).is_none() && self.scopes.has_one_member_in_own_pid_namespace(id);
        clears.then(|| self.scopes.place_of(id)).flatten()
    }

    /// The namespace fds of the scope node `index` joins (none outside
    /// scopes).
    fn scope_fds(&self, index: usize) -> &[OwnedFd] {
        self.scope_of(index)
            .map_or(&[][..], |(_, scope)| scope.namespace_fds())
    }

    /// The live scope at place `place` ([`scope_of`](Self::scope_of)), if it
    /// has not ended.
    pub(crate) fn scope_at(&self, place: usize) -> Option<&ScopeRuntime> {
        self.scopes.at(place)
    }

    /// Node `index` was removed from the running graph and has ended: its
    /// cgroup is removed, the fds it alone held are closed — its forwarded
    /// streams, and the sinks no other node uses, once the output thread
    /// has delivered what they hold — and it leaves its scope, which ends
    /// if an add made it and it was the last member: the scopes that ended
    /// ([`Scopes::leave`](crate::scope::Scopes::leave)), for the caller to
    /// drop in order.
    #[must_use = "dropping the ended scopes, innermost first, kills their inits"]
    pub(crate) fn forget(&mut self, index: usize) -> Vec<(usize, ScopeRuntime)> {
        if let Some(cgroups) = &mut self.cgroups {
            cgroups.remove_node(index);
        }
        let mut ended = Vec::new();
        if let Some(extra) = self.extras[index].as_deref_mut() {
            extra.passed.clear();
            // Once: a node may be forgotten twice (removed twice).
            let streams = std::mem::take(&mut extra.sinks);
            if let Some(output) = self.output.as_ref().filter(|_| !streams.is_empty()) {
                output.remove_node(index, self.sinks.release(&streams));
            }
            if let Some(scope) = extra.scope.take() {
                ended = self.scopes.leave(scope);
            }
        }
        // It never starts again: what only a start needs goes, so that a
        // graph whose nodes come and go does not keep each one's command.
        self.extras[index] = None;
        self.execs[index].forget();
        ended
    }

    /// The edges node `index` uses.
    pub(crate) fn edges_of(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.plans[index]
            .fds
            .iter()
            .filter_map(|a| a.source.edge())
            .map(|e| e.index())
    }

    /// Whether every node on edge `edge` is one of `nodes`.
    pub(crate) fn edge_only_of(&self, edge: usize, nodes: &dyn Fn(usize) -> bool) -> bool {
        self.edges[edge].users().all(nodes)
    }

    /// Node `index`'s terminal, the application's end, if it runs on one
    /// and it was not taken yet.
    pub(crate) fn take_terminal(&mut self, index: usize) -> Option<Terminal> {
        self.extras
            .get_mut(index)?
            .as_deref_mut()?
            .terminal_end
            .take()
    }

    /// Node `index`'s cgroup, if it has one.
    pub(crate) fn cgroup(&self, index: usize) -> Option<NodeRef<'_>> {
        self.cgroups.as_ref()?.node(index)
    }

    /// The path of the cgroup node `index`'s processes run in, as
    /// `/proc/PID/cgroup` names it (see [`GraphCgroup::process_path`]).
    pub(crate) fn cgroup_path(&self, index: usize) -> Option<PathBuf> {
        self.cgroups.as_ref()?.process_path(index)
    }

    /// Node `index`'s main process has exited: its `cgroup.events`, to
    /// wait on, if a process is left in its cgroup.
    pub(crate) fn drain_cgroup(
        &mut self,
        index: usize,
    ) -> std::io::Result<Option<std::os::fd::BorrowedFd<'_>>> {
        self.cgroups
            .as_mut()
            .map_or(Ok(None), |cgroups| cgroups.drain(index))
    }

    /// Node `index` no longer drains: its `cgroup.events`, to close once
    /// out of the wait set.
    pub(crate) fn end_cgroup_drain(&mut self, index: usize) -> Option<OwnedFd> {
        self.cgroups.as_mut()?.end_drain(index)
    }

    /// Node `index`'s OOM kill count, where its cgroup tells it.
    pub(crate) fn oom_kills(&self, index: usize) -> Option<u64> {
        self.cgroups.as_ref()?.oom_kills(index)
    }

    /// Closes the fds of node `index`'s edges that no node which may still
    /// start needs, and the fds passed in for it if it may not start again:
    /// called right after it started, it costs only its own fds.
    pub(crate) fn release_edges_of(&mut self, index: usize, may_start: &dyn Fn(usize) -> bool) {
        for assignment in &self.plans[index].fds {
            if let Some(edge) = assignment.source.edge() {
                self.edges[edge.index()].release(may_start);
            }
        }
        if !may_start(index)
            && let Some(extra) = self.extras[index].as_deref_mut()
        {
            extra.passed.clear();
        }
    }

    /// What ending the graph may wait on — its scopes' inits, the output
    /// thread's last lines, its cgroups emptying — taken out, to be ended
    /// here or on another thread; the launcher is left without them.
    pub(crate) fn take_teardown(&mut self) -> Teardown {
        Teardown {
            scopes: std::mem::take(&mut self.scopes),
            output: self.output.take(),
            cgroups: self.cgroups.take(),
        }
    }
}

/// A finished graph's scopes, output thread and cgroups
/// ([`Launcher::take_teardown`]), once every node has been reaped.
pub(crate) struct Teardown {
    scopes: Scopes,
    output: Option<Forwarder>,
    cgroups: Option<GraphCgroup>,
}

impl Teardown {
    /// Ends the scopes first — kills each init, innermost first, and reaps
    /// it; the kernel kills whatever was left in a pid scope — then
    /// delivers what the nodes wrote and stops the output thread, then
    /// kills whatever is left in the cgroups, waits until it is gone and
    /// removes them, and reaps what the nodes made the application's
    /// children there ([`strays`](crate::strays)): every node has been
    /// reaped by now, so an ended child of the application in the graph's
    /// cgroups is one. The error of removing the cgroups.
    pub(crate) fn run(mut self) -> io::Result<()> {
        drop(std::mem::take(&mut self.scopes));
        if let Some(output) = &mut self.output {
            output.finish();
        }
        let Some(cgroups) = &mut self.cgroups else {
            return Ok(());
        };
        let removed = cgroups.remove();
        let graph = cgroups.path();
        let is_stray = |pid| crate::cgroup::ended_in_cgroups(pid, std::iter::once(graph));
        crate::strays::reap_seen(is_stray, |_| false);
        removed
    }
}

/// Appends `items` to `to`, which takes them over without a copy when it
/// is empty (a graph's first nodes): a copy would leave the parent's heap
/// a freed block of the same size for as long as the graph runs.
fn append<T>(to: &mut Vec<T>, items: Vec<T>) {
    match to.is_empty() {
        true => *to = items,
        false => to.extend(items),
    }
}

/// The socket-activation variables of a node with `listeners`
/// (`sd_listen_fds(3)`): `LISTEN_PID` is a placeholder its child fills in.
pub(crate) fn listen_env(listeners: &[Listener]) -> Vec<(OsString, OsString)> {
    if listeners.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = listeners.iter().map(|l| l.name.as_str()).collect();
    let placeholder = &super::LISTEN_PID_PLACEHOLDER[b"LISTEN_PID=".len()..];
    vec![
        ("LISTEN_FDS".into(), listeners.len().to_string().into()),
        ("LISTEN_FDNAMES".into(), names.join(":").into()),
        (
            "LISTEN_PID".into(),
            std::str::from_utf8(placeholder).expect("ASCII").into(),
        ),
    ]
}

/// Per node on a terminal: the master the launcher keeps, and the
/// application's end. Refused where the node cannot be a session leader:
/// in the application's process group.
#[allow(clippy::type_complexity)]
fn open_terminals(
    graph: &Graph,
    plan: &Plan,
) -> Result<(Vec<Option<OwnedFd>>, Vec<Option<Terminal>>), Error> {
    let mut masters = Vec::with_capacity(plan.nodes.len());
    let mut ends = Vec::with_capacity(plan.nodes.len());
    for (node, node_plan) in graph.nodes.iter().zip(&plan.nodes) {
        if node_plan.terminal().is_none() {
            masters.push(None);
            ends.push(None);
            continue;
        }
        if node.command.process_group != ProcessGroup::Own {
            return Err(Error::io(
                Some(&node.name),
                "run on a terminal (only in a process group of its own)",
                std::io::ErrorKind::Unsupported,
            ));
        }
        let (end, master) = Terminal::open()
            .map_err(|e| Error::io(Some(&node.name), "open a pseudo-terminal", e))?;
        masters.push(Some(master));
        ends.push(Some(end));
    }
    Ok((masters, ends))
}

/// The cgroup directories of one start (see `Launcher::clone_cgroups`),
/// open until the clone is done.
struct StartCgroups {
    /// Where the clone starts.
    clone_into: Option<OwnedFd>,
    /// Placed for the carried program, which clones the node into it: held
    /// open here only.
    _placed: Option<OwnedFd>,
}

impl StartCgroups {
    fn clone_into(&self) -> Option<BorrowedFd<'_>> {
        self.clone_into.as_ref().map(AsFd::as_fd)
    }
}
