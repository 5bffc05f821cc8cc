//! The SVG is a well-formed, self-contained XML element that shows every
//! process name, scope label, subgraph label, port and edge label, and
//! survives Markdown.

use crate::{examples, expected, random_topologies, xml};
use process_graph_topology::Topology;

/// Elements and attributes that would run code or fetch something.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "foreignObject",
    "image",
    "use",
    "a",
    "iframe",
];

fn check(topology: &Topology) -> Result<(), String> {
    let name = &topology.name;
    let svg = topology.to_svg();
    if !svg.starts_with("<svg ") || !svg.ends_with("</svg>") {
        return Err(format!("{name}: not one <svg> element"));
    }
    if svg.contains("\n\n") || svg.lines().any(|l| l.trim().is_empty()) {
        return Err(format!(
            "{name}: a blank line would end the Markdown HTML block"
        ));
    }
    let elements = xml::parse(&svg).map_err(|e| format!("{name}: not well-formed: {e}"))?;
    let root = &elements[0];
    if !root
        .attributes
        .iter()
        .any(|(a, v)| a == "xmlns" && v == "http://www.w3.org/2000/svg")
    {
        return Err(format!("{name}: the root lacks the SVG namespace"));
    }
    for element in &elements {
        if FORBIDDEN_ELEMENTS.contains(&element.name.as_str()) {
            return Err(format!("{name}: has a <{}> element", element.name));
        }
        for (attribute, value) in &element.attributes {
            let external = attribute.contains("href")
                || attribute.starts_with("on")
                || value.contains("url(")
                || (value.contains("://") && attribute != "xmlns");
            if external {
                return Err(format!(
                    "{name}: attribute {attribute}={value:?} on <{}>",
                    element.name
                ));
            }
        }
    }
    let texts: Vec<&str> = elements
        .iter()
        .filter(|e| e.name == "text" || e.name == "tspan")
        .map(|e| e.text.as_str())
        .collect();
    let count = |wanted: &str| texts.iter().filter(|t| **t == wanted).count();
    let want = expected(topology);
    for process in &want.names {
        if count(process) == 0 {
            return Err(format!("{name}: no text {process:?}"));
        }
    }
    for label in &want.scope_labels {
        if count(label) == 0 {
            return Err(format!("{name}: no scope label {label:?}"));
        }
    }
    for label in want.subgraph_labels.iter().flatten() {
        if count(label) == 0 {
            return Err(format!("{name}: no subgraph label {label:?}"));
        }
    }
    for port in want.ports.iter().flatten() {
        if count(port) == 0 {
            return Err(format!("{name}: no port {port:?}"));
        }
    }
    for (edge, fds) in &want.edge_labels {
        let times = want.edge_labels.iter().filter(|(_, f)| f == fds).count();
        if count(edge) == 0 || count(fds) < times {
            return Err(format!("{name}: edge label {edge:?} / {fds:?} missing"));
        }
    }
    Ok(())
}

#[test]
fn examples_render_to_well_formed_complete_svg() {
    for topology in examples::all() {
        check(topology).unwrap();
    }
}

#[test]
fn random_graphs_render_to_well_formed_complete_svg() {
    let failures: Vec<String> = random_topologies(1..=30, 2)
        .iter()
        .filter_map(|t| check(t).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_that_looks_like_markup_stays_text() {
    let svg = examples::TRICKY.to_svg();
    assert!(
        svg.contains(">a&lt;b&gt;&amp;&quot;c&quot;</text>"),
        "{svg}"
    );
    assert!(!svg.contains("<b>"));
}

#[test]
fn the_svg_is_deterministic() {
    for topology in examples::all()
        .into_iter()
        .chain(&random_topologies(20..=20, 3))
    {
        assert_eq!(topology.to_svg(), topology.to_svg());
    }
}

#[test]
fn readiness_and_hostnames_are_drawn() {
    let svg = examples::HARNESS.to_svg();
    assert!(svg.contains(">ready: notify<"), "{svg}");
    assert!(svg.contains(">ready: fd(3)<"), "{svg}");
    assert!(
        svg.contains("network: net, uts (hostname db.local)"),
        "{svg}"
    );
}

#[test]
fn the_diagram_follows_the_page_theme() {
    for topology in examples::all() {
        let svg = topology.to_svg();
        // The panel and the boxes are the page's background, the text and
        // pipes its text colour; both fall back to dark on white.
        assert!(svg.contains("color:var(--main-color,#0f172a)"), "{svg}");
        assert!(svg.contains("style=\"fill:var(--main-background-color,#ffffff)\""));
        // No area is painted white or near-white: no glaring panel in a
        // dark theme.
        for rect in svg.lines().filter(|l| l.starts_with("<rect")) {
            for light in ["#ffffff\"", "#eff6ff", "#faf5ff", "#f0fdf4", "#fff7ed"] {
                assert!(!rect.contains(&format!("fill=\"{light}")), "{rect}");
            }
        }
    }
}

#[test]
fn a_subgraph_is_a_frame_with_its_ports_on_the_border() {
    let svg = examples::SITE.to_svg();
    for wanted in [
        ">db: storage::Db</text>",
        ">on_failure: restart</text>",
        ">cache: Cache</text>",
        ">on_failure: escalate</text>",
        ">queries</text>",
        ">control</text>",
        ">stdout → db.queries</tspan>",
        ">stderr, db.log → fd(3)</tspan>",
    ] {
        assert!(svg.contains(wanted), "missing {wanted:?} in\n{svg}");
    }
    if let Some(path) = std::env::var_os("SITE_SVG") {
        std::fs::write(path, &svg).unwrap();
    }
}
