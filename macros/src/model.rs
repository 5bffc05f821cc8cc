//! The declaration as a typed model: `parse` builds it from the struct,
//! `check` enforces the rules across fields, `expand` generates code from it.

use std::collections::HashMap;
use std::fmt;

use proc_macro2::{Span, TokenStream};
use process_graph_topology::fd_name;
pub use process_graph_topology::{ProbeInfo, Ready};
use syn::{DeriveInput, Ident, LitStr, Path, Type};

/// A whole `#[process_graph]` struct.
pub struct Graph {
    /// The struct as written, minus the attributes this macro consumes.
    pub item: DeriveInput,
    pub options: GraphOptions,
    /// Every named field, in declaration order.
    pub fields: Vec<Field>,
}

/// `#[process_graph(...)]`.
#[derive(Default)]
pub struct GraphOptions {
    /// `crate = "..."`: the path of the facade crate.
    pub krate: Option<Path>,
    pub strategy: Option<Strategy>,
    pub intensity: Option<u32>,
    pub period: Option<Spanned<Millis>>,
    /// `start_timeout = "2m"`: how long `spawn` waits for dependencies.
    pub start_timeout: Option<Millis>,
    /// `cgroup = "auto" | "required" | "off"`.
    pub cgroup: Option<Spanned<Containment>>,
}

pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    /// The field's `///` comment, one line per line, if it has one.
    pub doc: Option<String>,
    /// `None`: the field has no (valid) role attribute; already reported.
    pub role: Option<Role>,
}

/// What a field declares.
pub enum Role {
    // Boxed: far larger than the other roles.
    Process(Box<Process>),
    Edge(Edge),
    Scope(ScopeDecl),
    Subgraph(SubgraphDecl),
    Children(ChildrenDecl),
}

/// `#[subgraph]` or `#[subgraph(on_failure = "escalate")]`: a field whose
/// type is another `#[process_graph]` struct, nested as a supervision level.
#[derive(Default)]
pub struct SubgraphDecl {
    pub on_failure: Option<Spanned<OnFailure>>,
    /// `scope = sandbox`: the subgraph runs inside that scope of this graph.
    pub scope: Option<Ident>,
    /// `after = [migrate]`: processes (or subgraphs) of this graph that
    /// must be ready before any node of the subgraph starts.
    pub after: After,
}

/// `#[children]` or `#[children(on_failure = "escalate")]` on a field of
/// type `Children<G>`: graphs of type `G` added at run time, each nested as
/// a supervision level of its own (OTP's `simple_one_for_one`).
pub struct ChildrenDecl {
    /// `G`, the `#[process_graph]` struct each child is.
    pub graph: Type,
    pub on_failure: Option<Spanned<OnFailure>>,
    /// `scope = name`: every child runs in that scope of this graph.
    pub scope: Option<Ident>,
}

/// `#[process(...)]`.
#[derive(Default)]
pub struct Process {
    pub restart: Option<Spanned<Restart>>,
    pub critical: bool,
    /// `oneshot`: done when it exits 0 (see `NodeInfo::oneshot`).
    pub oneshot: bool,
    /// Processes and subgraphs of this graph that must be ready first.
    pub after: After,
    pub ready: Option<Spanned<Ready>>,
    pub ready_timeout: Option<Spanned<Millis>>,
    /// `ready_probe(...)`, spanned on its key.
    pub ready_probe: Option<Box<Spanned<ProbeInfo>>>,
    /// `live_probe(...)`, spanned on its key.
    pub live_probe: Option<Box<Spanned<ProbeInfo>>>,
    /// `watchdog = "10s"`: systemd's `WatchdogSec`.
    pub watchdog: Option<Spanned<Millis>>,
    /// `notify_access = "all"`: systemd's `NotifyAccess`.
    pub notify_access: Option<Spanned<NotifyAccess>>,
    /// `reload_signal = "SIGHUP"`, without `SIG`, upper case.
    pub reload_signal: Option<String>,
    /// The signal's name without `SIG`, upper case.
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<Millis>,
    pub backoff: Option<Backoff>,
    pub scope: Option<Ident>,
    /// `stdin`, `stdout`, `stderr` defaults, by fd.
    pub stdio: [Option<Spanned<Stdio>>; 3],
    /// `memory_max = "512M"`, in bytes.
    pub memory_max: Option<Spanned<u64>>,
    /// `pids_max = 64`.
    pub pids_max: Option<Spanned<u64>>,
    /// `cpu_weight = 100`, 1 to 10,000.
    pub cpu_weight: Option<Spanned<u16>>,
    /// `replicas = 4`: that many copies of the process.
    pub replicas: Option<Spanned<u32>>,
    /// `listen = [http = "tcp:127.0.0.1:8080"]`: its listening sockets,
    /// at fd 3 and on, by name and address.
    pub listen: Vec<(Ident, LitStr)>,
}

impl Process {
    /// How many copies run: `replicas`, or 1.
    pub fn replica_count(&self) -> u32 {
        self.replicas.map_or(1, |r| r.value)
    }

    /// Whether the process stands for several copies (`replicas` given;
    /// `replicas = 1` too, so the typed API does not change with N).
    pub fn replicated(&self) -> bool {
        self.replicas.is_some()
    }

    /// The span of each resource limit given (they need a cgroup).
    pub fn limit_spans(&self) -> impl Iterator<Item = Span> {
        [
            self.memory_max.map(|l| l.span),
            self.pids_max.map(|l| l.span),
            self.cpu_weight.map(|l| l.span),
        ]
        .into_iter()
        .flatten()
    }
}

/// An `after` list as the topology holds it: the names that are no
/// subgraph — processes, and names that resolve to nothing, which the
/// checks report — and, apart, the names of subgraphs. Each half keeps the
/// order written, so a topology's entry `i` is the `i`-th name of its half.
///
/// Parsing puts every name in `processes`; `parse::graph` moves the
/// subgraphs' names to their half once, when it knows them all.
#[derive(Default)]
pub struct After {
    pub processes: Vec<Ident>,
    pub subgraphs: Vec<Ident>,
}

impl After {
    /// A list as written, before the graph's subgraphs are known.
    pub fn written(names: Vec<Ident>) -> Self {
        After {
            processes: names,
            subgraphs: Vec::new(),
        }
    }

    /// Moves the names for which `is_subgraph` holds to their half.
    pub fn split(&mut self, is_subgraph: impl Fn(&Ident) -> bool) {
        let (subgraphs, processes) = std::mem::take(&mut self.processes)
            .into_iter()
            .partition(|name| is_subgraph(name));
        self.processes = processes;
        self.subgraphs.extend(subgraphs);
    }
}

/// `#[pipe(...)]` or `#[socketpair(...)]`.
pub struct Edge {
    pub kind: EdgeKind,
    /// `None` when the wiring did not parse (already reported).
    pub wiring: Option<Wiring>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Pipe,
    SocketPair,
}

/// `from -> to` (a pipe: writers, then the reader) or `a <-> b`.
pub struct Wiring {
    pub from: Vec<Endpoint>,
    /// The `->` or `<->` tokens.
    pub arrow: TokenStream,
    pub to: Vec<Endpoint>,
}

/// `node.stdin`, `node.stdout`, `node.stderr`, `node.fd(N)` or `parent`.
#[derive(Clone)]
pub struct Endpoint {
    /// The endpoint as written, so that errors underline all of it.
    pub tokens: TokenStream,
    pub target: Target,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    Parent,
    Node {
        node: Ident,
        fd: i32,
    },
    /// `db.input`: a port of a subgraph (or, when `subgraph` names a
    /// process, a misspelt stream, which the checks report).
    Port {
        subgraph: Ident,
        port: Ident,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Parent => f.write_str("parent"),
            Target::Node { node, fd } => write!(f, "{node}.{}", fd_name(*fd)),
            Target::Port { subgraph, port } => write!(f, "{subgraph}.{port}"),
        }
    }
}

/// `#[scope(...)]`.
#[derive(Default)]
pub struct ScopeDecl {
    pub namespaces: Vec<Spanned<Namespace>>,
    pub hostname: Option<LitStr>,
    pub parent: Option<Ident>,
}

/// A value with the span of the tokens it was parsed from.
#[derive(Clone, Copy)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A duration in milliseconds.
pub type Millis = u64;

#[derive(Clone, Copy)]
pub struct Backoff {
    pub initial: Millis,
    pub max: Millis,
}

/// A value spelt as one of a fixed set of words.
pub trait Keyword: Copy + Sized + 'static {
    /// What the value is, for messages ("restart policy").
    const WHAT: &'static str;
    /// Every spelling, with its value.
    const WORDS: &'static [(&'static str, Self)];
    /// The variant's name in the runtime enum of the same name.
    fn variant(self) -> &'static str;

    fn word(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::WORDS
            .iter()
            .find(|(_, v)| *v == self)
            .map(|(w, _)| *w)
            .expect("every value has a word")
    }
}

macro_rules! keyword {
    ($name:ident, $what:literal, { $($word:literal => $variant:ident),* $(,)? }) => {
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum $name { $($variant),* }

        impl Keyword for $name {
            const WHAT: &'static str = $what;
            const WORDS: &'static [(&'static str, Self)] = &[$(($word, $name::$variant)),*];
            fn variant(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),* }
            }
        }
    };
}

keyword!(Strategy, "strategy", {
    "one_for_one" => OneForOne,
    "one_for_all" => OneForAll,
    "rest_for_one" => RestForOne,
});

keyword!(Restart, "restart policy", {
    "never" => Never,
    "on-failure" => OnFailure,
    "always" => Always,
});

keyword!(NotifyAccess, "notify access", {
    "main" => Main,
    "all" => All,
});

keyword!(OnFailure, "subgraph failure policy", {
    "restart" => Restart,
    "escalate" => Escalate,
});

keyword!(Containment, "containment", {
    "auto" => Auto,
    "required" => Required,
    "off" => Off,
});

keyword!(StdioMode, "stdio mode", {
    "inherit" => Inherit,
    "null" => Null,
    "prefixed" => Prefixed,
    "tracing" => Tracing,
    "terminal" => Terminal,
});

keyword!(Timestamps, "timestamp kind", {
    "rfc3339" => Rfc3339,
    "since-start" => SinceStart,
});

/// `stdout = ...`: where a stream goes when no edge claims it.
pub enum Stdio {
    /// `"inherit"`, `"null"`, `"prefixed"`, `"tracing"`, `"terminal"`
    /// (the `terminal` flag sets all three).
    Word(StdioMode),
    /// `prefixed(timestamps = "rfc3339")`.
    Prefixed(Timestamps),
    /// `file("path", max_size = "10M", keep = 5)`.
    File(Box<FileSink>),
    /// `callback(path::to::function)`.
    Callback(Box<Path>),
}

/// `file("path", max_size = "10M", keep = 5)`.
pub struct FileSink {
    pub path: LitStr,
    pub max_bytes: Option<u64>,
    pub keep: Option<u32>,
}

impl Stdio {
    /// The kind of destination, as the topology records it.
    pub fn mode(&self) -> process_graph_topology::StdioMode {
        use process_graph_topology::StdioMode as Mode;
        match self {
            Stdio::Word(StdioMode::Inherit) => Mode::Inherit,
            Stdio::Word(StdioMode::Null) => Mode::Null,
            Stdio::Word(StdioMode::Prefixed) | Stdio::Prefixed(_) => Mode::Prefixed,
            Stdio::Word(StdioMode::Tracing) => Mode::Tracing,
            Stdio::Word(StdioMode::Terminal) => Mode::Terminal,
            Stdio::File(_) => Mode::File,
            Stdio::Callback(_) => Mode::Callback,
        }
    }
}

keyword!(Namespace, "namespace kind", {
    "user" => User,
    "pid" => Pid,
    "net" => Net,
    "mount" => Mount,
    "uts" => Uts,
    "ipc" => Ipc,
});

impl Graph {
    pub fn processes(&self) -> impl Iterator<Item = (&Field, &Process)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Some(Role::Process(p)) => Some((f, &**p)),
            _ => None,
        })
    }

    pub fn edges(&self) -> impl Iterator<Item = (&Field, &Edge)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Some(Role::Edge(e)) => Some((f, e)),
            _ => None,
        })
    }

    /// The edges one end of which the parent holds, with that end, in
    /// declaration order: the order of the ends `build` returns and of the
    /// fields of the `Running*` struct.
    pub fn parent_edges(&self) -> impl Iterator<Item = (&Field, &Edge, ParentEnd)> {
        self.edges()
            .filter_map(|(f, e)| Some((f, e, e.wiring.as_ref()?.parent_end()?)))
    }

    /// The edges whose wiring parsed, in declaration order: the edges of
    /// the topology, whose indices the checks report.
    pub fn wired_edges(&self) -> impl Iterator<Item = (&Field, &Edge, &Wiring)> {
        self.edges()
            .filter_map(|(f, e)| Some((f, e, e.wiring.as_ref()?)))
    }

    pub fn scopes(&self) -> impl Iterator<Item = (&Field, &ScopeDecl)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Some(Role::Scope(s)) => Some((f, s)),
            _ => None,
        })
    }

    pub fn subgraphs(&self) -> impl Iterator<Item = (&Field, &SubgraphDecl)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Some(Role::Subgraph(s)) => Some((f, s)),
            _ => None,
        })
    }

    pub fn children(&self) -> impl Iterator<Item = (&Field, &ChildrenDecl)> {
        self.fields.iter().filter_map(|f| match &f.role {
            Some(Role::Children(c)) => Some((f, c)),
            _ => None,
        })
    }

    /// Every process, scope and subgraph by name, to look names up in.
    pub fn by_name(&self) -> ByName<'_> {
        fn first<'g, T>(items: impl Iterator<Item = (&'g Ident, T)>) -> HashMap<&'g Ident, T> {
            let mut map = HashMap::new();
            for (name, item) in items {
                map.entry(name).or_insert(item);
            }
            map
        }
        ByName {
            processes: first((self.processes().enumerate()).map(|(i, (f, p))| (&f.ident, (i, p)))),
            scopes: first(self.scopes().enumerate().map(|(i, (f, _))| (&f.ident, i))),
            subgraphs: first((self.subgraphs().enumerate()).map(|(i, (f, _))| (&f.ident, (i, f)))),
        }
    }

    /// How many copies each process runs, in declaration order: the
    /// `counts` of `process_graph_topology::replica_index`.
    pub fn replica_counts(&self) -> Vec<u32> {
        self.processes().map(|(_, p)| p.replica_count()).collect()
    }
}

/// A graph's processes, scopes and subgraphs by name, each hashed once:
/// looking names up (an `after` list, every endpoint) then costs no search
/// of the fields per name. Should two fields share a name (rustc reports
/// it), the first is the one found, as a search would.
pub struct ByName<'g> {
    /// Each process, with its position among the processes.
    processes: HashMap<&'g Ident, (usize, &'g Process)>,
    /// Each scope's position among the scopes.
    scopes: HashMap<&'g Ident, usize>,
    /// Each subgraph field, with its position among the subgraphs.
    subgraphs: HashMap<&'g Ident, (usize, &'g Field)>,
}

impl<'g> ByName<'g> {
    /// The process named `name`, if there is one.
    pub fn process(&self, name: &Ident) -> Option<&'g Process> {
        self.processes.get(name).map(|&(_, p)| p)
    }

    /// The position of the process named `name` among the processes.
    pub fn process_index(&self, name: &Ident) -> Option<usize> {
        self.processes.get(name).map(|&(i, _)| i)
    }

    /// The position of the scope named `name` among the scopes.
    pub fn scope_index(&self, name: &Ident) -> Option<usize> {
        self.scopes.get(name).copied()
    }

    /// The subgraph field named `name`, if there is one.
    pub fn subgraph(&self, name: &Ident) -> Option<&'g Field> {
        self.subgraphs.get(name).map(|&(_, f)| f)
    }

    /// The position of the subgraph field named `name` among the subgraphs.
    pub fn subgraph_index(&self, name: &Ident) -> Option<usize> {
        self.subgraphs.get(name).map(|&(i, _)| i)
    }
}

impl Wiring {
    /// The endpoint where the parent holds this edge, if it does.
    pub fn parent_end(&self) -> Option<ParentEnd> {
        let is_parent = |e: &Endpoint| e.target == Target::Parent;
        let in_from = self.from.iter().any(is_parent);
        let in_to = self.to.iter().any(is_parent);
        match (in_from, in_to) {
            (true, false) => Some(ParentEnd::From),
            (false, true) => Some(ParentEnd::To),
            _ => None,
        }
    }
}

/// On which side of an edge the parent is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ParentEnd {
    /// A writer of a pipe, or the first end of a socketpair.
    From,
    /// The reader of a pipe, or the second end of a socketpair.
    To,
}

#[cfg(test)]
mod tests {
    use quote::{format_ident, quote};

    use crate::ctxt::Ctxt;
    use crate::parse;

    #[test]
    fn by_name_finds_what_a_search_of_the_fields_finds() {
        let cx = Ctxt::new();
        let item = syn::parse_quote! {
            struct Shapes {
                #[process] a: Cmd,
                #[scope(pid)] s: Scope,
                #[subgraph] g: Inner,
                #[process(replicas = 2)] b: Cmd,
                #[scope(net, parent = s)] t: Scope,
                #[subgraph] h: Inner,
                // Twice (rustc reports it): the first is the one found.
                #[process(replicas = 3)] a: Cmd,
                #[scope(uts)] g: Scope,
            }
        };
        let (_, graph) = parse::graph(&cx, quote!(), item);
        cx.check().expect("the declaration parses");
        let graph = graph.expect("a graph");
        let by_name = graph.by_name();
        for name in ["a", "b", "s", "t", "g", "h", "missing"] {
            let name = format_ident!("{name}");
            let process = graph.processes().position(|(f, _)| f.ident == name);
            let scope = graph.scopes().position(|(f, _)| f.ident == name);
            let subgraph = graph.subgraphs().position(|(f, _)| f.ident == name);
            assert_eq!(by_name.process_index(&name), process, "{name}");
            assert_eq!(by_name.scope_index(&name), scope, "{name}");
            assert_eq!(by_name.subgraph_index(&name), subgraph, "{name}");
            let replicas = |p: &super::Process| p.replica_count();
            let found = graph.processes().find(|(f, _)| f.ident == name);
            assert_eq!(
                by_name.process(&name).map(replicas),
                found.map(|(_, p)| replicas(p)),
                "{name}"
            );
            let found = graph.subgraphs().find(|(f, _)| f.ident == name);
            assert_eq!(
                by_name.subgraph(&name).map(|f| &f.ident),
                found.map(|(f, _)| &f.ident),
                "{name}"
            );
        }
        assert_eq!(
            by_name
                .process(&format_ident!("a"))
                .map(|p| p.replica_count()),
            Some(1)
        );
    }
}
