//! Sizes shared by the layout and the SVG renderer. Text is measured with a
//! monospace estimate: every character advances by [`CHAR_EM`] of the font
//! size, which holds for the common monospace fonts (DejaVu Sans Mono,
//! Menlo, Consolas, Liberation Mono are 0.55–0.61 em).

/// Advance of one monospace character, in ems (rounded up, so text fits).
pub(crate) const CHAR_EM: f64 = 0.62;
/// Font size of a process name.
pub(crate) const NAME_FONT: f64 = 13.0;
/// Font size of commands, edge labels and frame labels.
pub(crate) const DETAIL_FONT: f64 = 11.0;
/// Line height of detail text.
pub(crate) const DETAIL_LINE: f64 = 13.0;

/// Horizontal padding inside a box.
pub(crate) const BOX_PAD: f64 = 12.0;
/// Height of a box showing only a name.
pub(crate) const BOX_HEIGHT: f64 = 32.0;
/// Height of a box showing a name and one detail line (its command, or
/// its readiness); each further detail line adds [`DETAIL_LINE`].
pub(crate) const BOX_HEIGHT_WITH_COMMAND: f64 = 46.0;
/// Narrowest box.
pub(crate) const BOX_MIN_WIDTH: f64 = 64.0;

/// Distance from an edge's line to its label text.
pub(crate) const LABEL_GAP: f64 = 5.0;
/// How far a self-loop reaches right of its box.
pub(crate) const LOOP_REACH: f64 = 18.0;

/// Height of the pin of a subgraph's port, hanging inside its frame's border.
pub(crate) const PIN_HEIGHT: f64 = 16.0;
/// Font size of a port's name on its pin.
pub(crate) const PIN_FONT: f64 = 10.0;
/// Horizontal padding inside a pin.
const PIN_PAD: f64 = 5.0;
/// Horizontal space between two pins on one side of a frame.
pub(crate) const PIN_GAP: f64 = 8.0;
/// No port closer than this to a box's corner.
pub(crate) const PORT_INSET: f64 = 6.0;

/// Height of a frame's label strip.
pub(crate) const FRAME_HEADER: f64 = 20.0;
/// Space between a frame and what it encloses.
pub(crate) const FRAME_PAD: f64 = 10.0;

/// Horizontal space between two boxes of one rank.
pub(crate) const BOX_SEP: f64 = 28.0;
/// Horizontal space between two lines passing one rank.
pub(crate) const LINE_SEP: f64 = 14.0;
/// Horizontal space between a frame and its neighbours.
pub(crate) const FRAME_SEP: f64 = 14.0;
/// Vertical space between two ranks no line jogs across, besides room for frames.
pub(crate) const RANK_GAP: f64 = 20.0;
/// Vertical space between two horizontal tracks of lines.
pub(crate) const TRACK_SEP: f64 = 8.0;
/// Vertical space between a rank and the nearest track: room for a
/// rounded corner and an arrowhead.
pub(crate) const TRACK_END: f64 = 13.0;
/// Horizontal space kept between two track segments sharing a track.
pub(crate) const TRACK_CLEARANCE: f64 = 8.0;
/// Space around the whole drawing.
pub(crate) const MARGIN: f64 = 16.0;

/// The width of `text` at `font` pixels.
pub(crate) fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * CHAR_EM * font
}

/// The width of the pin of a port named `name`.
pub(crate) fn pin_width(name: &str) -> f64 {
    (text_width(name, PIN_FONT) + 2.0 * PIN_PAD).ceil()
}

/// The size of an edge label: its name above its fds.
pub(crate) fn label_size(lines: &[&str]) -> (f64, f64) {
    let width = lines
        .iter()
        .map(|l| text_width(l, DETAIL_FONT))
        .fold(0.0, f64::max);
    (width + 2.0, lines.len() as f64 * DETAIL_LINE + 2.0)
}
