//! A node root in one scope attacks a node in another scope.
//!
//! The guarantee (README, "Whose ids a scope has outside"): under a root
//! application each scope is an unprivileged uid of its own outside, so a
//! node that is root in its scope can no more reach another scope's
//! processes and files than any other unprivileged user. Under an
//! unprivileged application both scopes are the application's own uid
//! outside: the test pins that documented limit too.
//!
//! Nor may it open the file whose byte locks claim the drawn ids
//! (`/run/process-graph/scope-ids.lock`, root's alone) for writing, which
//! a lock needs: holding a byte would keep that id from every later scope.
//!
//! Both scopes are user+net, with no pid namespace, so the attacker can
//! name the victim's pid. The victim writes a private file, hands its pid
//! over a pipe and sleeps; each attempt that works prints a word.

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, Namespace, NodeOptions, ScopeSpec};

const VICTIM: &str = r#"
umask 077
echo secret > "$DIR/victims"
echo $$
exec sleep 60
"#;

/// Every attempt on the victim, after the pid it read and its own uid;
/// each prints its word when it works.
const ATTEMPTS: &str = r#"
read victim
echo "$victim"
id -u
kill -0 "$victim" 2> /dev/null && echo signal
cat "/proc/$victim/environ" > /dev/null 2>&1 && echo read-environ
cat "$DIR/victims" > /dev/null 2>&1 && echo read-file
echo evil 2> /dev/null >> "$DIR/victims" && echo write-file
(: >> /run/process-graph/scope-ids.lock) 2> /dev/null && echo open-id-claims
true
"#;

#[test]
fn a_node_root_in_its_scope_cannot_reach_another_scope() {
    common::as_root_and_unprivileged(
        "a_node_root_in_its_scope_cannot_reach_another_scope",
        || {
            if !common::user_namespaces_available() {
                return common::skip("user namespaces are not available here");
            }
            common::within(Duration::from_secs(60), "scope against scope", || {
                let dir = common::TempDir::writable_by_scopes("scope-to-scope");
                let mut graph = Graph::new();
                let spec = || ScopeSpec::new([Namespace::User, Namespace::Net]);
                let (own, other) = (graph.scope("own", spec()), graph.scope("other", spec()));
                let victim = graph.node_with(
                    "victim",
                    Command::new("sh")
                        .args(["-c", VICTIM])
                        .env("DIR", dir.path()),
                    NodeOptions::new().scope(other),
                );
                let attacker = graph.node_with(
                    "attacker",
                    Command::new("sh")
                        .args(["-c", ATTEMPTS])
                        .env("DIR", dir.path()),
                    NodeOptions::new().scope(own),
                );
                graph.pipe(victim.stdout(), attacker.stdin());
                let out = graph.pipe(attacker.stdout(), Endpoint::Parent);
                let mut running = graph.spawn().unwrap();
                let text = common::read_to_end(&mut running, out);
                let victim_pid = running.pid(victim).unwrap().to_string();
                running.shutdown(Duration::from_secs(5)).unwrap();

                let mut lines = text.lines();
                // Else every attempt failed for want of a pid, whatever the scopes.
                assert_eq!(lines.next(), Some(&victim_pid[..]), "the pid read: {text}");
                assert_eq!(lines.next(), Some("0"), "root in its scope: {text}");
                let worked: Vec<&str> = lines.collect();
                let file = std::fs::read_to_string(dir.path().join("victims")).unwrap();
                if common::real_root() {
                    assert!(worked.is_empty(), "reached the other scope: {worked:?}");
                    assert_eq!(file, "secret\n", "the victim's file");
                    eprintln!("a root application's scopes: every attempt refused");
                } else if rustix::process::geteuid().as_raw() != 0 {
                    // The documented limit: both are the application's uid. Its
                    // `/proc/PID/environ` stays shut: the victim holds
                    // capabilities in a user namespace the attacker is not
                    // privileged over, which `ptrace` access checks too.
                    assert_eq!(
                        worked,
                        ["signal", "read-file", "write-file"],
                        "an unprivileged application's scopes share its uid outside"
                    );
                    eprintln!(
                        "an unprivileged application's scopes: one uid outside, as documented"
                    );
                } else {
                    common::skip("root only in a user namespace: the scopes' outside ids vary");
                }
            });
        },
    );
}
