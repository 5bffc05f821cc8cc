//! What every subcommand shares: run the subjects in interleaved rounds (so
//! drift hits all of them alike), summarise each by its median per-operation
//! time, and print the ratios to the fastest baseline as a Markdown table.

use std::io;
use std::time::{Duration, Instant};

use process_graph_runtime::{Graph, NodeId, NodeOptions, Restart, RunningGraph};

/// One way of doing the measured operation.
pub trait Subject {
    /// The row label in the tables.
    fn label(&self) -> &str;
    /// Whether this subject is a raw baseline the others are compared with.
    fn is_floor(&self) -> bool;
    /// Does the operation once; fails if it did not do what was asked.
    fn run_once(&mut self) -> io::Result<()>;
}

/// Ok if `ok`; otherwise an error saying how the child ended instead.
pub fn exited_zero(ok: bool, how: impl std::fmt::Display) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the child ended with {how}, not exit 0"
        )))
    }
}

/// process-graph restarting one node of a live graph, as the operation: the
/// node exits at once and is restarted at once (restart = always, no
/// backoff, no intensity limit), so each operation is one reap and one
/// spawn, seen through `next_event`. The graph is spawned on the first
/// operation (the warm-up) and kept for the whole run.
pub struct Restarting {
    label: String,
    /// Declares the graph and its node, given the node's options.
    build: Box<dyn Fn(NodeOptions) -> (Graph, NodeId)>,
    running: Option<(RunningGraph, NodeId)>,
}

impl Restarting {
    pub fn new(label: String, build: impl Fn(NodeOptions) -> (Graph, NodeId) + 'static) -> Self {
        Restarting {
            label,
            build: Box::new(build),
            running: None,
        }
    }
}

impl Subject for Restarting {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        if self.running.is_none() {
            let options = NodeOptions::new()
                .restart(Restart::Always)
                .backoff(Duration::ZERO, Duration::ZERO);
            let (mut graph, node) = (self.build)(options);
            // Thousands of restarts a second are the point here, not a failure.
            graph.intensity(u32::MAX, Duration::from_secs(1));
            let running = graph.spawn().map_err(io::Error::other)?;
            self.running = Some((running, node));
        }
        let (running, node) = self.running.as_mut().expect("started above");
        next_restart(running, *node)
    }
}

/// How long one restart may take before the run counts as broken.
const RESTART_TIMEOUT: Duration = Duration::from_secs(10);

/// One restart of `node`, which exits at once and is restarted at once:
/// `next_event` until its replacement's `Event::Started`, checking that each
/// exit was 0 and that the runtime decided to restart it. The first call
/// returns the start queued by `spawn`.
pub fn next_restart(running: &mut RunningGraph, node: NodeId) -> io::Result<()> {
    use process_graph_runtime::{Decision, Event};
    loop {
        match running
            .next_event(Some(RESTART_TIMEOUT))
            .map_err(io::Error::other)?
        {
            Some(Event::Started { node: started, .. }) if started == node => return Ok(()),
            Some(Event::Exited {
                status, decision, ..
            }) => {
                exited_zero(status.success(), status)?;
                if !matches!(decision, Decision::Restart { .. }) {
                    return Err(io::Error::other(format!(
                        "the runtime decided {decision:?}, not a restart"
                    )));
                }
            }
            other => {
                return Err(io::Error::other(format!(
                    "expected a restart within {RESTART_TIMEOUT:?}, got {other:?}"
                )));
            }
        }
    }
}

/// Spawns `graph`, waits for it, and checks that every node exited 0.
pub fn spawn_and_wait(graph: process_graph_runtime::Graph) -> io::Result<()> {
    let report = graph
        .spawn()
        .map_err(io::Error::other)?
        .wait()
        .map_err(io::Error::other)?;
    exited_zero(report.success(), report)
}

/// For each size in `sizes`: the subjects `make(size)` returns, measured
/// interleaved; then one table with a column per size, named by
/// `column(size)`. Every call of `make` must return the same subjects, in
/// the same order, for another size.
pub fn by_size(
    plan: &Plan,
    sizes: &[usize],
    mut make: impl FnMut(usize) -> io::Result<Vec<Box<dyn Subject>>>,
    column: impl Fn(usize) -> String,
) -> io::Result<()> {
    let (mut subjects, mut cells, mut columns) = (Vec::new(), Vec::new(), Vec::new());
    for &size in sizes {
        subjects = make(size)?;
        let summaries = interleaved(plan, &mut subjects)?;
        eprintln!("measured {}", column(size));
        cells.resize_with(subjects.len(), Vec::new);
        for (row, summary) in cells.iter_mut().zip(summaries) {
            row.push(summary);
        }
        columns.push(column(size));
    }
    print_ratio_table(&columns, &rows_of(&subjects, cells));
    Ok(())
}

/// One row per subject, labelled by it, with its cells in order.
pub fn rows_of(subjects: &[Box<dyn Subject>], cells: Vec<Vec<Summary>>) -> Vec<Row> {
    subjects
        .iter()
        .zip(cells)
        .map(|(subject, cells)| Row {
            label: subject.label().to_owned(),
            is_floor: subject.is_floor(),
            cells,
        })
        .collect()
}

/// The row label of a process-graph subject run with `containment`.
pub fn graph_label(containment: process_graph_runtime::Containment) -> &'static str {
    match containment {
        process_graph_runtime::Containment::Off => "process-graph, containment off",
        _ => "process-graph Graph::spawn + wait",
    }
}

/// Waits for child `pid` with `waitpid` and checks that it exited 0.
pub fn waitpid_exited_zero(pid: libc::pid_t) -> io::Result<()> {
    let mut status = 0;
    // SAFETY: `pid` is our unreaped child; `status` is a valid out-pointer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    exited_zero(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        format_args!("wait status {status:#x}"),
    )
}

/// How much to measure.
pub struct Plan {
    pub rounds: usize,
    /// Operations per subject per round.
    pub iterations: usize,
    /// The most time one subject may take over all rounds: a slower subject
    /// gets fewer iterations per round (never fewer than [`MIN_ITERATIONS`]).
    pub budget: Duration,
}

pub const MIN_ITERATIONS: usize = 3;

/// Operations timed before the rounds, to estimate each subject's cost.
const CALIBRATION_RUNS: usize = 5;

/// One subject's result: the per-operation time of each round.
pub struct Summary {
    /// Sorted, one per round.
    per_op: Vec<Duration>,
    pub iterations: usize,
}

impl Summary {
    pub fn median(&self) -> Duration {
        let n = self.per_op.len();
        if n % 2 == 1 {
            self.per_op[n / 2]
        } else {
            (self.per_op[n / 2 - 1] + self.per_op[n / 2]) / 2
        }
    }

    pub fn min(&self) -> Duration {
        self.per_op[0]
    }

    pub fn max(&self) -> Duration {
        self.per_op[self.per_op.len() - 1]
    }

    pub fn rounds(&self) -> usize {
        self.per_op.len()
    }
}

/// Runs `plan.rounds` rounds; in each, every subject runs its iterations back
/// to back, starting one subject later each round.
pub fn interleaved(plan: &Plan, subjects: &mut [Box<dyn Subject>]) -> io::Result<Vec<Summary>> {
    let iterations = subjects
        .iter_mut()
        .map(|subject| calibrate(plan, subject.as_mut()))
        .collect::<io::Result<Vec<_>>>()?;
    let mut per_op = vec![Vec::with_capacity(plan.rounds); subjects.len()];
    for round in 0..plan.rounds {
        for turn in 0..subjects.len() {
            let index = (round + turn) % subjects.len();
            let subject = subjects[index].as_mut();
            let start = Instant::now();
            for _ in 0..iterations[index] {
                run_labelled(subject)?;
            }
            per_op[index].push(start.elapsed() / iterations[index] as u32);
        }
    }
    Ok(per_op
        .into_iter()
        .zip(iterations)
        .map(|(mut per_op, iterations)| {
            per_op.sort();
            Summary { per_op, iterations }
        })
        .collect())
}

/// Warms the subject up and picks its iterations per round: `plan.iterations`,
/// or fewer if that many would not fit in `plan.budget`.
fn calibrate(plan: &Plan, subject: &mut dyn Subject) -> io::Result<usize> {
    // The first operation pays one-time costs (page faults, lazy set-up).
    run_labelled(subject)?;
    let start = Instant::now();
    for _ in 0..CALIBRATION_RUNS {
        run_labelled(subject)?;
    }
    let cost = start.elapsed().as_secs_f64() / CALIBRATION_RUNS as f64;
    let affordable = plan.budget.as_secs_f64() / (plan.rounds as f64 * cost);
    Ok((affordable as usize).clamp(MIN_ITERATIONS, plan.iterations.max(MIN_ITERATIONS)))
}

fn run_labelled(subject: &mut dyn Subject) -> io::Result<()> {
    subject
        .run_once()
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", subject.label())))
}

/// One row of a table: a subject's summaries, one per column.
pub struct Row {
    pub label: String,
    pub is_floor: bool,
    pub cells: Vec<Summary>,
}

/// Runs `subjects` interleaved ([`interleaved`]) and prints their ratio
/// table, of one column headed `column`.
pub fn run_one_column(
    plan: &Plan,
    subjects: &mut [Box<dyn Subject>],
    column: &str,
) -> io::Result<()> {
    let summaries = interleaved(plan, subjects)?;
    let cells = summaries.into_iter().map(|summary| vec![summary]).collect();
    print_ratio_table(&[column.to_owned()], &rows_of(subjects, cells));
    Ok(())
}

/// Prints the median per operation with its ratio to, and difference from,
/// the column's floor (the fastest row marked `is_floor`); then the spread
/// over rounds and the iterations actually run.
pub fn print_ratio_table(columns: &[String], rows: &[Row]) {
    let floors: Vec<Option<Duration>> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .filter(|r| r.is_floor)
                .map(|r| r.cells[c].median())
                .min()
        })
        .collect();
    let medians = rows.iter().map(|row| {
        let cells = row.cells.iter().zip(&floors).map(|(cell, &floor)| {
            let median = cell.median();
            match floor {
                Some(floor) if median == floor && row.is_floor => {
                    format!("{} (floor)", format_duration(median))
                }
                Some(floor) => format!(
                    "{} ({}, {})",
                    format_duration(median),
                    format_ratio(median, floor),
                    format_difference(median, floor)
                ),
                None => format_duration(median),
            }
        });
        (row.label.clone(), cells.collect())
    });
    print_markdown("median per operation (× and ± the floor)", columns, medians);
    let spreads = rows.iter().map(|row| {
        let cells = row.cells.iter().map(format_spread);
        (row.label.clone(), cells.collect())
    });
    println!();
    print_markdown(
        "fastest–slowest round (rounds × iterations)",
        columns,
        spreads,
    );
}

/// `71.6 µs–92.0 µs (7×500)`: the fastest and slowest round, then rounds ×
/// iterations per round.
pub fn format_spread(summary: &Summary) -> String {
    format!(
        "{}–{} ({}×{})",
        format_duration(summary.min()),
        format_duration(summary.max()),
        summary.rounds(),
        summary.iterations
    )
}

/// `2.02×`: `value` as a multiple of `base`.
pub fn format_ratio(value: Duration, base: Duration) -> String {
    format!("{:.2}×", value.as_secs_f64() / base.as_secs_f64())
}

/// `+80.3 µs` or `−5.1 µs`: `value` minus `base`.
pub fn format_difference(value: Duration, base: Duration) -> String {
    format!(
        "{}{}",
        if value >= base { "+" } else { "−" },
        format_duration(value.abs_diff(base))
    )
}

/// The value below which `fraction` of the samples fall (nearest rank);
/// `sorted` must be sorted and not empty.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints an aligned Markdown table: a label column, then `columns`.
pub fn print_markdown(
    corner: &str,
    columns: &[String],
    rows: impl Iterator<Item = (String, Vec<String>)>,
) {
    let header: Vec<String> = std::iter::once(corner.to_owned())
        .chain(columns.iter().cloned())
        .collect();
    let body: Vec<Vec<String>> = rows
        .map(|(label, cells)| std::iter::once(label).chain(cells).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(&header)
                .chain(&body)
                .map(|line| line[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let print_line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &width))| match c {
                0 => format!("{cell:<width$}"),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    print_line(&header);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(c, &width)| match c {
            0 => "-".repeat(width),
            _ => format!("{}:", "-".repeat(width - 1)),
        })
        .collect();
    println!("| {} |", rule.join(" | "));
    for line in &body {
        print_line(line);
    }
}

/// `61.3 µs`, or `13.42 ms` from one millisecond up.
pub fn format_duration(d: Duration) -> String {
    format_duration_ms_from(d, Duration::from_millis(1))
}

/// `d` in µs with one decimal below `ms_from`, in ms with two decimals
/// from there up.
pub fn format_duration_ms_from(d: Duration, ms_from: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < ms_from.as_secs_f64() * 1e6 {
        format!("{micros:.1} µs")
    } else {
        format!("{:.2} ms", micros / 1000.0)
    }
}
