//! The callback sink: each line handed to the application's function.

use super::{Callback, Line, Write};

pub(crate) struct Call(pub(crate) Callback);

impl Write for Call {
    fn line(&mut self, line: &Line<'_>) {
        (self.0)(line);
    }
}
