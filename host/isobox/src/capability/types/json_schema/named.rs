//! What becomes a named type of a binding's namespace, after
//! [`convert`](super::convert) read the schemas: equal `$defs` of different
//! tools merged, recurring object shapes declared once ([`hoist`]), and
//! aliases kept from referring to themselves.

use std::collections::HashMap;

use super::convert::{Args, Converted, Hint, Named, Object, RESERVED_NAMES, Ty, intersection, pascal_case, union};
use super::render::object_length;

/// The most shapes [`hoist`] declares.
const MAX_HOISTS: usize = 32;

/// Where a recurring object shape was seen.
struct Seen<'a> {
    /// Inline occurrences.
    count: usize,
    /// The hint of each occurrence (the first few).
    hints: Vec<&'a Hint>,
    /// A named type whose body is this shape.
    named: Option<usize>,
}

/// Declares object shapes that recur (the same properties, types and
/// docs) once, as named types, greatest saving first, while that makes the
/// declarations shorter. A shape that is already a named type's body is
/// written by that name elsewhere.
pub(super) fn hoist(converted: &mut Converted) {
    // Rendered lengths by shape: a shape's text depends only on the shape
    // (names never change), so each is rendered once.
    let mut lengths: HashMap<Object, i64> = HashMap::new();
    for _ in 0..MAX_HOISTS {
        let Some((shape, existing, hint)) = best_shape(converted, &mut lengths) else {
            return;
        };
        let index = match existing {
            Some(index) => index,
            None => {
                let name = free_name(&converted.named, &hint);
                converted.named.push(Named {
                    stem: name.clone(),
                    name,
                    doc: None,
                    ty: Ty::Object(shape.clone()),
                });
                converted.named.len() - 1
            }
        };
        for method in &mut converted.methods {
            match &mut method.args {
                Args::None => {}
                Args::Optional(ty) | Args::Required(ty) => replace(ty, &shape, index),
            }
            if let Some(ty) = &mut method.result {
                replace(ty, &shape, index);
            }
        }
        for named in &mut converted.named {
            // A named type's own body stays: only what is inside it.
            if let Ty::Object(object) = &mut named.ty {
                for prop in &mut object.props {
                    replace(&mut prop.ty, &shape, index);
                }
            } else {
                replace(&mut named.ty, &shape, index);
            }
        }
    }
}

/// The shape whose declaration saves the most characters, and the named
/// type that already has it as its body, if one does.
fn best_shape(converted: &Converted, lengths: &mut HashMap<Object, i64>) -> Option<(Object, Option<usize>, String)> {
    let mut seen: HashMap<&Object, Seen<'_>> = HashMap::new();
    for method in &converted.methods {
        if let Args::Optional(ty) | Args::Required(ty) = &method.args {
            count(ty, &mut seen);
        }
        if let Some(ty) = &method.result {
            count(ty, &mut seen);
        }
    }
    for (index, named) in converted.named.iter().enumerate() {
        if let Ty::Object(object) = &named.ty {
            seen.entry(object)
                .or_insert(Seen {
                    count: 0,
                    hints: Vec::new(),
                    named: None,
                })
                .named
                .get_or_insert(index);
            for prop in &object.props {
                count(&prop.ty, &mut seen);
            }
        } else {
            count(&named.ty, &mut seen);
        }
    }
    let mut best: Option<(i64, &Object, Option<usize>, String)> = None;
    for (object, seen) in &seen {
        let uses = seen.count as i64;
        if uses == 0 || (uses < 2 && seen.named.is_none()) {
            continue;
        }
        let length = match lengths.get(*object) {
            Some(length) => *length,
            None => {
                let length = object_length(&converted.named, object) as i64;
                lengths.insert((*object).clone(), length);
                length
            }
        };
        let saving = match seen.named {
            Some(index) => uses * (length - converted.named[index].name.len() as i64 - 8),
            // Written `uses` times, or declared once (`interface Name `,
            // a line) and named `uses` times.
            None => {
                let name = hint_for(object, &seen.hints).len().max(4) as i64 + 8;
                (uses - 1) * length - uses * name - (name + 16)
            }
        };
        if saving > 0 && best.as_ref().is_none_or(|(s, ..)| saving > *s) {
            best = Some((saving, object, seen.named, hint_for(object, &seen.hints)));
        }
    }
    best.map(|(_, object, named, hint)| (object.clone(), named, hint))
}

/// The name for a shape declared once: the name its places agree on, else
/// one from a place inside an object, else (a tool's argument in one place
/// and another tool's result in the other) its only property's name.
fn hint_for(object: &Object, hints: &[&Hint]) -> String {
    let first = hints.first().map_or("", |h| h.name.as_str());
    if hints.iter().all(|h| h.name == first) {
        return first.to_owned();
    }
    if let Some(inner) = hints.iter().find(|h| !h.root) {
        return inner.name.clone();
    }
    match object.props.as_slice() {
        [only] => pascal_case(&only.name),
        _ => first.to_owned(),
    }
}

fn count<'a>(ty: &'a Ty, seen: &mut HashMap<&'a Object, Seen<'a>>) {
    match ty {
        Ty::Object(object) => {
            let entry = seen.entry(object).or_insert(Seen {
                count: 0,
                hints: Vec::new(),
                named: None,
            });
            entry.count += 1;
            if entry.hints.len() < 8 {
                entry.hints.push(&object.hint);
            }
            for prop in &object.props {
                count(&prop.ty, seen);
            }
        }
        Ty::Array(item) | Ty::Record(item) => count(item, seen),
        Ty::Tuple(items, _, rest) => {
            items.iter().for_each(|t| count(t, seen));
            if let Some(rest) = rest {
                count(rest, seen);
            }
        }
        Ty::Union(items) | Ty::Intersection(items) => items.iter().for_each(|t| count(t, seen)),
        _ => {}
    }
}

fn replace(ty: &mut Ty, shape: &Object, index: usize) {
    match ty {
        Ty::Object(object) if object == shape => *ty = Ty::Named(index),
        Ty::Object(object) => object.props.iter_mut().for_each(|p| replace(&mut p.ty, shape, index)),
        Ty::Array(item) | Ty::Record(item) => replace(item, shape, index),
        Ty::Tuple(items, _, rest) => {
            items.iter_mut().for_each(|t| replace(t, shape, index));
            if let Some(rest) = rest {
                replace(rest, shape, index);
            }
        }
        Ty::Union(items) | Ty::Intersection(items) => items.iter_mut().for_each(|t| replace(t, shape, index)),
        _ => {}
    }
}

/// A free name among `named` for [`hoist`].
pub(super) fn free_name(named: &[Named], name: &str) -> String {
    let name = if name.is_empty() { "Type" } else { name };
    let taken = |c: &str| named.iter().any(|n| n.name == c) || RESERVED_NAMES.contains(&c);
    let mut candidate = name.to_owned();
    let mut n = 1;
    while taken(&candidate) {
        n += 1;
        candidate = format!("{name}{n}");
    }
    candidate
}

/// Replaces, in type aliases (named types that are not objects), each
/// reference that would make the alias refer to itself outside an object
/// or array (`type A = B | null; type B = A[] | A`), with `unknown`:
/// TypeScript refuses those.
pub(super) fn break_alias_cycles(named: &mut [Named]) {
    let is_alias = |ty: &Ty| !matches!(ty, Ty::Object(_));
    // Edges: alias -> aliases it names at its top level.
    let edges: Vec<Vec<usize>> = named
        .iter()
        .map(|n| {
            let mut out = Vec::new();
            if is_alias(&n.ty) {
                top_level_refs(&n.ty, &mut out);
            }
            out.retain(|&j| j < named.len() && is_alias(&named[j].ty));
            out
        })
        .collect();
    // Iterative depth-first search; an edge to a node on the stack closes a
    // cycle and is cut.
    let mut state = vec![0u8; named.len()]; // 0 new, 1 on the stack, 2 done
    let mut cut_edges: Vec<(usize, usize)> = Vec::new();
    for start in 0..named.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some((node, next)) = stack.last_mut() {
            if let Some(&to) = edges[*node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => cut_edges.push((*node, to)),
                    _ => {}
                }
            } else {
                state[*node] = 2;
                stack.pop();
            }
        }
    }
    for (from, to) in cut_edges {
        replace_top_level_ref(&mut named[from].ty, to);
    }
}

fn top_level_refs(ty: &Ty, out: &mut Vec<usize>) {
    match ty {
        Ty::Named(index) => out.push(*index),
        Ty::Union(items) | Ty::Intersection(items) => items.iter().for_each(|t| top_level_refs(t, out)),
        Ty::Record(value) => top_level_refs(value, out),
        _ => {}
    }
}

fn replace_top_level_ref(ty: &mut Ty, target: usize) {
    match ty {
        Ty::Named(index) if *index == target => *ty = Ty::Unknown,
        Ty::Union(items) => {
            items.iter_mut().for_each(|t| replace_top_level_ref(t, target));
            *ty = union(std::mem::take(items));
        }
        Ty::Intersection(items) => {
            items.iter_mut().for_each(|t| replace_top_level_ref(t, target));
            *ty = intersection(std::mem::take(items));
        }
        Ty::Record(value) => replace_top_level_ref(value, target),
        _ => {}
    }
}

/// Definitions with the same name (before numbering), doc and body (a
/// reference to itself counting as equal) become one: servers often repeat
/// their `$defs` in every tool.
pub(super) fn merge_equal_defs(converted: &mut Converted) {
    const SELF: usize = usize::MAX;
    for _ in 0..4 {
        let mut first: HashMap<(&str, Option<&str>, Ty), usize> = HashMap::new();
        let mut target: Vec<usize> = (0..converted.named.len()).collect();
        let mut merged = false;
        for (index, named) in converted.named.iter().enumerate() {
            let mut body = named.ty.clone();
            map_named(&mut body, &|i| if i == index { SELF } else { i });
            match first.entry((named.stem.as_str(), named.doc.as_deref(), body)) {
                std::collections::hash_map::Entry::Occupied(entry) => {
                    target[index] = *entry.get();
                    merged = true;
                }
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(index);
                }
            }
        }
        if !merged {
            return;
        }
        // New indices for the types that stay; the others point to theirs.
        let mut new_index = vec![0; target.len()];
        let mut kept = 0;
        for (index, &to) in target.iter().enumerate() {
            if to == index {
                new_index[index] = kept;
                kept += 1;
            }
        }
        let remap = |i: usize| target.get(i).map_or(i, |&to| new_index[to]);
        let named = std::mem::take(&mut converted.named);
        converted.named = named
            .into_iter()
            .enumerate()
            .filter(|(index, _)| target[*index] == *index)
            .map(|(_, mut named)| {
                map_named(&mut named.ty, &remap);
                named
            })
            .collect();
        for method in &mut converted.methods {
            if let Args::Optional(ty) | Args::Required(ty) = &mut method.args {
                map_named(ty, &remap);
            }
            if let Some(ty) = &mut method.result {
                map_named(ty, &remap);
            }
        }
    }
}

/// Rewrites every named-type index in `ty`.
fn map_named(ty: &mut Ty, f: &impl Fn(usize) -> usize) {
    match ty {
        Ty::Named(index) => *index = f(*index),
        Ty::Object(object) => object.props.iter_mut().for_each(|p| map_named(&mut p.ty, f)),
        Ty::Array(item) | Ty::Record(item) => map_named(item, f),
        Ty::Tuple(items, _, rest) => {
            items.iter_mut().for_each(|t| map_named(t, f));
            if let Some(rest) = rest {
                map_named(rest, f);
            }
        }
        Ty::Union(items) | Ty::Intersection(items) => items.iter_mut().for_each(|t| map_named(t, f)),
        _ => {}
    }
}
