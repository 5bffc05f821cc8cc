//! The parent reads a child's output through a typed pipe end.
//!
//! `numbers` counts to 20; `primes` keeps the primes (an `awk` filter); the
//! pipe `found` ends at the parent, which gets it as a
//! `std::io::PipeReader` in the `found` field of the running graph and reads
//! it line by line as the filter produces them. The typed report then says
//! how each process ended, by field name.
//!
//! Run with `cargo run --example parent_reads`.

use std::io::{BufRead, BufReader};

use process_graph::prelude::*;

#[process_graph]
pub struct Primes {
    #[process]
    numbers: Cmd,
    #[process(stderr = "prefixed")]
    primes: Cmd,

    #[pipe(numbers.stdout -> primes.stdin)]
    candidates: Pipe,
    /// Ends at the parent: a `PipeReader` in `RunningPrimes::found`.
    #[pipe(primes.stdout -> parent)]
    found: Pipe,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = Primes::new(
        Cmd::new("seq").args(["1", "20"]),
        Cmd::new("awk").arg(
            r#"{ n = $1; p = n > 1; for (d = 2; d * d <= n; d++) if (n % d == 0) p = 0; if (p) print n; fflush() }"#,
        ),
    );
    let mut running = graph.spawn()?;

    let found: std::io::PipeReader = running.found.take().expect("the parent reads `found`");
    let mut primes = Vec::new();
    for line in BufReader::new(found).lines() {
        let line = line?;
        println!("parent read {line:>2} from `primes`");
        primes.push(line.parse::<u32>()?);
    }

    let report = running.wait()?;
    println!("primes up to 20: {primes:?}");
    println!(
        "`numbers` {}, `primes` {}",
        report.numbers.status.expect("it ran"),
        report.primes.status.expect("it ran")
    );
    assert_eq!(primes, [2, 3, 5, 7, 11, 13, 17, 19]);
    assert!(report.success());
    Ok(())
}
