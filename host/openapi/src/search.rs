//! A BM25 index over operations: each operation is one document whose
//! terms are the words of its method name and operationId, path, HTTP
//! method, summary, description, tags and parameter names, each field
//! weighted (a word of the name counts more than one of the description).
//! Words are lowercased, split at camelCase humps, and cut to a crude stem
//! (`issues` and `issue` match). Built once per spec; queries are ranked
//! best first, ties in spec order, and paged.

use std::collections::HashMap;

use crate::operations::Operation;

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// BM25's length normalisation, per field.
const B: f64 = 0.75;

/// The most words of a query used.
const MAX_QUERY_WORDS: usize = 32;

/// The most characters of a description indexed.
const MAX_INDEXED_DESCRIPTION_CHARS: usize = 2_000;

/// The fields of an operation, and how much a word counts in each.
const FIELDS: usize = 7;
const NAME: usize = 0;
const SUMMARY: usize = 1;
const PATH: usize = 2;
const TAGS: usize = 3;
const METHOD: usize = 4;
const PARAMETERS: usize = 5;
const DESCRIPTION: usize = 6;
const WEIGHTS: [f64; FIELDS] = [4.0, 3.0, 1.5, 1.5, 1.0, 0.5, 0.5];

/// The index of one spec's operations, for BM25F: each field's length
/// is normalised against that field's average, so a long description
/// does not drown a match in the name.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    /// term -> (operation index, count per field), by operation index.
    postings: HashMap<String, Vec<(u32, [u16; FIELDS])>>,
    /// Each operation's length per field, in terms.
    lengths: Vec<[u16; FIELDS]>,
    average_lengths: [f64; FIELDS],
}

/// One ranked match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The operation's index in [`OpenApiSpec::operations`](crate::OpenApiSpec::operations).
    pub operation: usize,
    /// Its BM25 score (higher is better).
    pub score: f64,
}

/// The lowercase stems of `text`'s words.
pub(crate) fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if word.chars().count() > 1 || word.chars().all(|c| c.is_ascii_digit()) && !word.is_empty() {
            out.push(stem(&std::mem::take(word)));
        } else {
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower {
                flush(&mut word, &mut out);
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, &mut out);
            previous_lower = false;
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A crude English stem, so that `issues` and `issue`, `repositories`
/// and `repository`, `created`, `creating` and `create` meet: a plural
/// ending off, then `ing` or `ed`, then a final `e`.
fn stem(word: &str) -> String {
    let mut word = word.to_owned();
    if let Some(base) = word.strip_suffix("ies").filter(|b| b.len() >= 2) {
        word = format!("{base}y");
    } else if word.ends_with("sses") {
        word.truncate(word.len() - 2);
    } else if word.len() > 3
        && word.ends_with('s')
        && !(word.ends_with("ss") || word.ends_with("us") || word.ends_with("is"))
    {
        word.pop();
    }
    if word.len() > 5 && word.ends_with("ing") {
        word.truncate(word.len() - 3);
    } else if word.len() > 4 && word.ends_with("ed") {
        word.truncate(word.len() - 2);
    }
    if word.len() > 3 && word.ends_with('e') {
        word.pop();
    }
    word
}

impl SearchIndex {
    /// The index of `operations`.
    pub(crate) fn build(operations: &[Operation]) -> Self {
        let mut postings: HashMap<String, Vec<(u32, [u16; FIELDS])>> = HashMap::new();
        let mut lengths = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            let mut counts: HashMap<String, [u16; FIELDS]> = HashMap::new();
            let mut length = [0u16; FIELDS];
            let mut add = |text: &str, field: usize| {
                for term in terms(text) {
                    let slot = &mut counts.entry(term).or_default()[field];
                    *slot = slot.saturating_add(1);
                    length[field] = length[field].saturating_add(1);
                }
            };
            add(&operation.method, NAME);
            if let Some(id) = &operation.operation_id {
                add(id, NAME);
            }
            add(&operation.path, PATH);
            add(operation.http_method.as_str(), METHOD);
            if let Some(summary) = &operation.summary {
                add(summary, SUMMARY);
            }
            if let Some(description) = &operation.description {
                add(
                    &crate::error::clip(description, MAX_INDEXED_DESCRIPTION_CHARS),
                    DESCRIPTION,
                );
            }
            for tag in &operation.tags {
                add(tag, TAGS);
            }
            for parameter in &operation.parameters {
                add(&parameter.name, PARAMETERS);
            }
            lengths.push(length);
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            for (term, count) in counts {
                postings.entry(term).or_default().push((index, count));
            }
        }
        let mut average_lengths = [1.0f64; FIELDS];
        if !lengths.is_empty() {
            for (field, average) in average_lengths.iter_mut().enumerate() {
                let total: f64 = lengths.iter().map(|l| f64::from(l[field])).sum();
                *average = (total / lengths.len() as f64).max(1.0);
            }
        }
        SearchIndex {
            postings,
            lengths,
            average_lengths,
        }
    }

    /// Every operation matching a word of `query`, best first (ties in
    /// spec order).
    pub(crate) fn search(&self, query: &str) -> Vec<Hit> {
        let mut words = terms(query);
        words.truncate(MAX_QUERY_WORDS);
        words.sort();
        words.dedup();
        let count = self.lengths.len() as f64;
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for word in &words {
            let Some(list) = self.postings.get(word) else { continue };
            let frequency = list.len() as f64;
            let idf = ((count - frequency + 0.5) / (frequency + 0.5) + 1.0).ln();
            for (operation, counts) in list {
                let Some(length) = self.lengths.get(*operation as usize) else {
                    continue;
                };
                let mut tf = 0.0;
                for field in 0..FIELDS {
                    if counts[field] == 0 {
                        continue;
                    }
                    let norm = 1.0 - B + B * f64::from(length[field]) / self.average_lengths[field];
                    tf += WEIGHTS[field] * f64::from(counts[field]) / norm;
                }
                *scores.entry(*operation).or_default() += idf * tf / (K1 + tf);
            }
        }
        let mut hits: Vec<Hit> = scores
            .into_iter()
            .map(|(operation, score)| Hit {
                operation: operation as usize,
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.operation.cmp(&b.operation)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_humps_and_separators_and_meet_their_plurals() {
        assert_eq!(terms("issues/create-comment"), ["issu", "creat", "comment"]);
        assert_eq!(terms("an issue was created"), ["an", "issu", "was", "creat"]);
        assert_eq!(terms("listRepositoriesForUser"), ["list", "repository", "for", "user"]);
        assert_eq!(terms("Creating a status"), ["creat", "status"]);
        assert_eq!(terms("GET /repos/{owner}"), ["get", "repo", "owner"]);
    }
}
