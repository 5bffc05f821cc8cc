//! A node that is root in its scope tries to act as root outside it.
//!
//! The guarantee (README, "Whose ids a scope has outside"): under a root
//! application a scope's ids are an unprivileged uid and gid of its own
//! outside, so a node that is root in its scope — with every capability
//! there — can do nothing outside that root could: read a root-only file,
//! write a root-owned one, change its mode, signal the application. Under
//! an unprivileged application the scope is the application's own uid
//! outside (the only id it may map), and may do what that uid may: the test
//! pins that documented limit too.
//!
//! The attacker is a shell in a user+net scope (no pid namespace, so the
//! application's pid names it); each attempt that works prints a word.

mod common;

use std::os::unix::fs::PermissionsExt;

use process_graph_runtime::{Command, Endpoint, Graph, Namespace, NodeOptions, ScopeSpec};

/// Every attempt; each prints its word when it works.
const ATTEMPTS: &str = r#"
id -u
cat /etc/shadow > /dev/null 2>&1 && echo read-shadow
echo evil >> "$TARGET" 2> /dev/null && echo wrote-app-file
chmod 666 "$TARGET" 2> /dev/null && echo chmod-app-file
kill -0 "$APP" 2> /dev/null && echo can-signal-app
true
"#;

#[test]
fn a_node_root_in_its_scope_is_not_root_outside() {
    common::as_root_and_unprivileged("a_node_root_in_its_scope_is_not_root_outside", || {
        let dir = common::TempDir::new("root-outside");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let target = dir.path().join("the-applications");
        std::fs::write(&target, "kept\n").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();

        let mut graph = Graph::new();
        let scope = graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Net]));
        let node = graph.node_with(
            "attacker",
            Command::new("sh")
                .args(["-c", ATTEMPTS])
                .env("TARGET", &target)
                .env("APP", std::process::id().to_string()),
            NodeOptions::new().scope(scope),
        );
        let out = graph.pipe(node.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let text = common::read_to_end(&mut running, out);
        assert!(running.wait().unwrap().success(), "{text}");

        let worked: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(text.lines().next(), Some("0"), "root in its scope: {text}");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        let content = std::fs::read_to_string(&target).unwrap();
        if common::real_root() {
            assert!(
                worked.is_empty(),
                "worked outside, as root would: {worked:?}"
            );
            assert_eq!(
                (content.as_str(), mode),
                ("kept\n", 0o644),
                "the root-owned file"
            );
            eprintln!("a root application's scope: every attempt refused");
        } else if rustix::process::geteuid().as_raw() != 0 {
            // The documented limit: the application's own uid outside.
            assert_eq!(
                worked,
                ["wrote-app-file", "chmod-app-file", "can-signal-app"],
                "an unprivileged application's scope is its uid outside"
            );
            eprintln!("an unprivileged application's scope: its own uid outside, as documented");
        } else {
            common::skip("root only in a user namespace: the scope's outside ids vary");
        }
    });
}
