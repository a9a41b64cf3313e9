//! Where a value is, written as JavaScript would: `args[1].items[3].id`.

use std::fmt;

/// One step into a value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment<'a> {
    /// The n-th argument of the call: `args[1]`.
    Arg(usize),
    /// An element of an array (list, tuple): `[3]`.
    Index(usize),
    /// A key of an object (record field, flag, `ok`, `tag` ...): `.id`.
    Field(&'a str),
}

/// A path from a root (`args` or `result`), kept as a stack while a value
/// is walked and written out only for a message.
#[derive(Debug, Clone)]
pub(crate) struct Path<'a> {
    root: &'static str,
    segments: Vec<Segment<'a>>,
}

impl Default for Path<'_> {
    fn default() -> Self {
        Self::new("args")
    }
}

impl<'a> Path<'a> {
    pub(crate) fn new(root: &'static str) -> Self {
        Self {
            root,
            segments: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, segment: Segment<'a>) {
        self.segments.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.segments.pop();
    }

    /// How many steps from the root.
    pub(crate) fn depth(&self) -> usize {
        self.segments.len()
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root)?;
        for segment in &self.segments {
            match segment {
                Segment::Arg(i) | Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Field(name) => write!(f, ".{name}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_javascript() {
        let mut path = Path::default();
        assert_eq!(path.to_string(), "args");
        path.push(Segment::Arg(1));
        path.push(Segment::Field("items"));
        path.push(Segment::Index(3));
        path.push(Segment::Field("id"));
        assert_eq!(path.to_string(), "args[1].items[3].id");
        assert_eq!(path.depth(), 4);
        path.pop();
        assert_eq!(path.to_string(), "args[1].items[3]");
        assert_eq!(Path::new("result").to_string(), "result");
    }
}
