//! The names of added nodes (`RunningGraph::add`): an added node may not
//! take the name of a node of the running graph; a removed node's name is
//! free again. Apart from `runtime_add_remove.rs`, whose test counts the
//! process's fds and so runs alone.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Error, Graph};

/// An added node may not take the name of a node of the running graph,
/// whether it was there at spawn or added since; a removed node's name is
/// free again once the node is removed.
#[test]
fn an_added_node_takes_no_live_name_and_frees_its_own_when_removed() {
    common::as_root_and_unprivileged(
        "an_added_node_takes_no_live_name_and_frees_its_own_when_removed",
        || {
            let mut running = common::ticking();
            let one = |name: &str| {
                let mut more = Graph::new();
                let node = more.node(name, Command::new("sleep").arg("60"));
                (more, node)
            };
            let refused = |result: Result<_, Error>, name: &str| match result {
                Err(Error::CannotAdd { node, .. }) => assert_eq!(node, name),
                Err(other) => panic!("{name}: refused for another reason: {other}"),
                Ok(_) => panic!("{name}: a second node of that name was added"),
            };
            refused(running.add(one("ticker").0), "ticker");
            let (more, job) = one("job");
            let job = running.add(more).unwrap().node(job);
            refused(running.add(one("job").0), "job");
            running.remove([job]);
            let (more, again) = one("job");
            let again = running.add(more).unwrap().node(again);
            assert_ne!(again, job, "ids are not reused");
            refused(running.add(one("job").0), "job");
            running.remove([again]);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !running.state(again).is_final() {
                assert!(Instant::now() < deadline, "not removed within 10 s");
                running.next_event(Some(Duration::from_millis(5))).unwrap();
            }
            running.shutdown(Duration::from_secs(5)).unwrap();
        },
    );
}
