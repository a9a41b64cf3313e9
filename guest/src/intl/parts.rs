//! `formatToParts`: ICU4X's writeables annotate what they write with
//! [`Part`]s; [`Collector`] records them and turns the text into ECMA-402's
//! `[{ type, value }]` list.

use core::fmt;

use rquickjs::{Array, Ctx, Object};
use writeable::{Part, PartsWrite, Writeable};

/// Which annotation names a stretch of text: date-time formatters name the
/// outermost part (a second's digits are annotated as decimal integers too),
/// number formatters the innermost.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pick {
    Outermost,
    Innermost,
}

/// Text written with the parts open while it was written.
#[derive(Default, Debug)]
pub struct Collector {
    text: String,
    /// (start, end, depth, part, span): one entry per `with_part` call.
    spans: Vec<(usize, usize, usize, Part, usize)>,
    depth: usize,
    next_span: usize,
}

impl fmt::Write for Collector {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

impl PartsWrite for Collector {
    type SubPartsWrite = Collector;

    fn with_part(&mut self, part: Part, mut f: impl FnMut(&mut Self::SubPartsWrite) -> fmt::Result) -> fmt::Result {
        let start = self.text.len();
        let span = self.next_span;
        self.next_span += 1;
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        self.spans.push((start, self.text.len(), self.depth, part, span));
        result
    }
}

impl Collector {
    /// Writes `value` and returns the collector holding its text and parts.
    pub fn collect(value: &impl Writeable) -> Collector {
        let mut collector = Collector::default();
        // Writing into a String cannot fail.
        let _ = value.write_to_parts(&mut collector);
        collector
    }

    /// The text as `(type, value)` pieces: each byte gets the part `pick`
    /// chooses among those covering it (`name` maps a part to its ECMA-402
    /// type; unannotated text is `literal`), and neighbouring bytes of the
    /// same annotation merge.
    pub fn pieces(&self, pick: Pick, name: impl Fn(Part) -> &'static str) -> Vec<(&'static str, String)> {
        let mut owners: Vec<Option<(usize, usize)>> = vec![None; self.text.len()];
        for (index, &(start, end, depth, _, _)) in self.spans.iter().enumerate() {
            for owner in &mut owners[start..end] {
                let replace = match owner {
                    None => true,
                    Some((_, current)) => match pick {
                        Pick::Outermost => depth < *current,
                        Pick::Innermost => depth > *current,
                    },
                };
                if replace {
                    *owner = Some((index, depth));
                }
            }
        }
        let mut pieces: Vec<(&'static str, String)> = Vec::new();
        let mut last: Option<Option<usize>> = None;
        for (offset, ch) in self.text.char_indices() {
            let owner = owners[offset].map(|(index, _)| index);
            let kind = owner.map_or("literal", |index| name(self.spans[index].3));
            let same_span = last == Some(owner) || (owner.is_none() && last == Some(None));
            match pieces.last_mut() {
                Some((previous, text)) if same_span && *previous == kind => text.push(ch),
                _ => pieces.push((kind, ch.to_string())),
            }
            last = Some(owner);
        }
        pieces
    }

    /// Appends unannotated text.
    pub fn push_literal(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `[{ type, value }, ...]` for `pieces`.
pub fn to_js<'js>(ctx: &Ctx<'js>, pieces: &[(&'static str, String)]) -> rquickjs::Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, (kind, value)) in pieces.iter().enumerate() {
        let part = Object::new(ctx.clone())?;
        part.set("type", *kind)?;
        part.set("value", value.as_str())?;
        array.set(index, part)?;
    }
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fmt::Write as _;

    struct Sample;
    impl Writeable for Sample {
        fn write_to_parts<S: PartsWrite + ?Sized>(&self, sink: &mut S) -> fmt::Result {
            const OUTER: Part = Part {
                category: "t",
                value: "outer",
            };
            const INNER: Part = Part {
                category: "t",
                value: "inner",
            };
            sink.write_str("a")?;
            sink.with_part(OUTER, |s| {
                s.write_str("b")?;
                s.with_part(INNER, |s| s.write_str("cd"))?;
                s.with_part(INNER, |s| s.write_str("e"))
            })?;
            sink.write_str("f")
        }
    }

    #[test]
    fn parts_pick_the_outermost_or_innermost_annotation_and_keep_spans_apart() {
        let collector = Collector::collect(&Sample);
        assert_eq!(collector.text(), "abcdef");
        let outer = collector.pieces(Pick::Outermost, |p| p.value);
        assert_eq!(
            outer,
            vec![
                ("literal", "a".into()),
                ("outer", "bcde".into()),
                ("literal", "f".into())
            ]
        );
        let inner = collector.pieces(Pick::Innermost, |p| p.value);
        assert_eq!(
            inner,
            vec![
                ("literal", "a".into()),
                ("outer", "b".into()),
                ("inner", "cd".into()),
                ("inner", "e".into()),
                ("literal", "f".into())
            ]
        );
    }
}
