//! Hostile replicas on their shared fan-in pipe: one floods it, one closes
//! its ends of it (and of its own stdin) at once, one writes only after
//! that. Closing its end must not cut the others' output (the pipe's
//! reader sees EOF only once every replica has ended), no byte of the
//! flood is lost, and afterwards the application holds the fds it held
//! before, with no zombie child left.

mod common;

use std::io::Read;
use std::time::Duration;

use process_graph::prelude::*;

#[process_graph]
struct Pool {
    #[process(replicas = 3)]
    worker: Cmd,
    #[process]
    sink: Cmd,
    #[pipe(worker.stdout -> sink.stdin)]
    results: Pipe,
    #[pipe(sink.stdout -> parent)]
    counted: Pipe,
}

/// Replica 0 floods 4 MB; replica 1 closes its stdout and stdin at once;
/// replica 2 writes its line after that.
const WORKER: &str = r#"case "$PROCESS_GRAPH_REPLICA" in
0) head -c 4000000 /dev/zero ;;
1) exec 1>&- 0<&-; sleep 0.3 ;;
2) sleep 0.6; echo tail-line ;;
esac"#;

#[test]
fn a_replica_that_closes_the_shared_pipe_cannot_cut_the_others_output() {
    common::within(Duration::from_secs(30), "hostile replicas", || {
        let fds = common::open_fds();
        let mut running = Pool::new(
            Cmd::new("sh").args(["-c", WORKER]),
            Cmd::new("wc").arg("-c"),
        )
        .spawn()
        .unwrap();
        let mut counted = running.counted.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            counted.read_to_string(&mut text).unwrap();
            text
        });
        let report = running.wait().unwrap();
        assert!(report.success(), "{report}");
        assert_eq!(
            reader.join().unwrap().trim(),
            (4_000_000 + "tail-line\n".len()).to_string(),
            "bytes the sink counted"
        );
        drop(running);
        let zombies: Vec<_> = common::children_of_this_process()
            .into_iter()
            .filter(|p| !p.is_live())
            .collect();
        assert!(zombies.is_empty(), "zombie children left: {zombies:?}");
        assert_eq!(common::open_fds(), fds, "fds left open");
    });
}
