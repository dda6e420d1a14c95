//! The rows the tree grows on, packed and kept in node order.
//!
//! Every predictor's slot (category or bin, the last slot for missing) and the target class take
//! a bit field of just enough bits; the fields are packed into 64-bit words, one word column per
//! 64 bits (ten predictors of up to 16 slots and a binary target share one word per row). When a
//! node splits, its run of rows in every column is partitioned in place, stably, into the
//! children's runs, so each node's rows are one contiguous run: moving a row moves one word per
//! 64 bits of fields, and a node's tables are built by streaming over contiguous memory. The row
//! order inside a node is the input order; results do not depend on the number of threads.

use ndarray::ArrayView1;
use rayon::prelude::*;

use crate::table::MISSING_CODE;

/// Where one predictor's slot (or the class) sits in the packed words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub word: usize,
    pub shift: u32,
    pub mask: u64,
}

impl Field {
    #[inline(always)]
    pub fn get(self, w: u64) -> usize {
        ((w >> self.shift) & self.mask) as usize
    }
}

/// Bit fields for values 0..n each (⌈log2 n⌉ bits, at least one), placed first-fit in order.
/// Returns the fields and the number of words.
pub(crate) fn layout(n_values: &[usize]) -> (Vec<Field>, usize) {
    let mut used: Vec<u32> = Vec::new();
    let fields = n_values
        .iter()
        .map(|&n| {
            let bits = (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1);
            let word = match used.iter().position(|&u| u + bits <= 64) {
                Some(w) => w,
                None => {
                    used.push(0);
                    used.len() - 1
                }
            };
            let shift = used[word];
            used[word] += bits;
            Field {
                word,
                shift,
                mask: if bits == 64 {
                    u64::MAX
                } else {
                    (1 << bits) - 1
                },
            }
        })
        .collect();
    (fields, used.len())
}

/// Why a code column was refused.
pub(crate) enum CodeError {
    /// A code outside 0..n_levels (and not the missing code).
    Outside(u32),
    /// No value with positive weight.
    AllMissing,
}

/// Checks a categorical code column (`MISSING_CODE` for missing): every code is a category, and
/// some row with positive weight in `keep` has one.
pub(crate) fn check_codes(
    codes: &[u32],
    n_levels: u32,
    keep: Option<&[f64]>,
) -> Result<(), CodeError> {
    // Branch-free scans over the contiguous column (they vectorise).
    if let Some(&c) = codes.iter().find(|&&c| c >= n_levels && c != MISSING_CODE) {
        return Err(CodeError::Outside(c));
    }
    let seen = match keep {
        None => codes.iter().any(|&c| c != MISSING_CODE),
        Some(w) => codes
            .iter()
            .zip(w)
            .any(|(&c, &w)| c != MISSING_CODE && w > 0.0),
    };
    if seen {
        Ok(())
    } else {
        Err(CodeError::AllMissing)
    }
}

/// A column's values as a slice: borrowed when contiguous, else copied.
pub(crate) fn contiguous(col: ArrayView1<'_, u32>) -> std::borrow::Cow<'_, [u32]> {
    match col.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(col.to_vec()),
    }
}

/// Packs the sources into words: source j (`values`, `cap`) puts `min(value, cap)` into field j.
/// For code columns `cap` is the missing slot, so `MISSING_CODE` (= u32::MAX) lands there; for
/// slots already in range it changes nothing. Rows whose weight in `keep` is not positive are left
/// out.
pub(crate) fn pack(
    sources: &[(&[u32], u32)],
    fields: &[Field],
    n_words: usize,
    keep: Option<&[f64]>,
    kept: usize,
) -> Vec<Vec<u64>> {
    (0..n_words)
        .into_par_iter()
        .map(|w| {
            let mut out = crate::parallel::zeroed::<u64>(kept);
            for (&(values, cap), f) in sources.iter().zip(fields) {
                if f.word != w {
                    continue;
                }
                let put = |o: &mut u64, v: u32| *o |= u64::from(v.min(cap)) << f.shift;
                match keep {
                    None => out.iter_mut().zip(values).for_each(|(o, &v)| put(o, v)),
                    Some(k) => out
                        .iter_mut()
                        .zip(values.iter().zip(k).filter(|(_, &k)| k > 0.0))
                        .for_each(|(o, (&v, _))| put(o, v)),
                }
            }
            out
        })
        .collect()
}

/// Keeps the entries of `values` whose weight in `keep` is positive.
pub(crate) fn keep_f64(values: &[f64], keep: Option<&[f64]>) -> Vec<f64> {
    match keep {
        None => values.to_vec(),
        Some(w) => values
            .iter()
            .zip(w)
            .filter(|(_, &w)| w > 0.0)
            .map(|(&v, _)| v)
            .collect(),
    }
}

/// The rows in node order: the packed words, and the continuous target and weights beside them.
pub(crate) struct Rows {
    pub words: Vec<Vec<u64>>,
    /// Centred values (continuous target).
    pub values: Option<Vec<f64>>,
    pub freq: Option<Vec<f64>>,
    pub case: Option<Vec<f64>>,
    /// Per row, the chunk of [`CHUNK_ROWS`](crate::parallel::CHUNK_ROWS) input rows it came
    /// from (weighted or continuous sums are added along the chunk tree, see `Grower::tables`).
    pub chunk: Option<Vec<u32>>,
    /// Where each row of the run being partitioned goes (see [`destinations`]).
    dest: Vec<u32>,
    /// One spare word column per word column, allocated at the first split and reused by all.
    spare: Vec<Vec<u64>>,
}

/// A run of one column, to be partitioned, with its spare.
enum Run<'a> {
    Words(&'a mut [u64], &'a mut [u64]),
    F64(&'a mut [f64]),
    U32(&'a mut [u32]),
}

impl Rows {
    pub fn new(
        words: Vec<Vec<u64>>,
        values: Option<Vec<f64>>,
        freq: Option<Vec<f64>>,
        case: Option<Vec<f64>>,
        chunk: Option<Vec<u32>>,
    ) -> Rows {
        Rows {
            words,
            values,
            freq,
            case,
            chunk,
            dest: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Partitions rows lo..hi of every column stably by child, the child of a row being
    /// `slot_child` of its slot in `split`, child c's rows starting at `lo + starts[c]`.
    pub fn partition(
        &mut self,
        lo: usize,
        hi: usize,
        split: Field,
        slot_child: &[usize],
        starts: &[usize],
    ) {
        if self.spare.len() != self.words.len() {
            self.spare = self
                .words
                .iter()
                .map(|w| crate::parallel::zeroed(w.len()))
                .collect();
        }
        let child = |w: u64| slot_child[split.get(w)];
        if self.words.len() == 1
            && self.values.is_none()
            && self.freq.is_none()
            && self.case.is_none()
            && self.chunk.is_none()
        {
            // One column to move (every field in one word, no weights): each row's destination
            // is found as it moves.
            let (v, spare) = (&mut self.words[0][lo..hi], &mut self.spare[0][lo..hi]);
            spare.copy_from_slice(v);
            let mut pos = starts.to_vec();
            for &w in spare.iter() {
                let p = &mut pos[child(w)];
                v[*p] = w;
                *p += 1;
            }
            return;
        }
        let words = &self.words[split.word][lo..hi];
        destinations(words.iter().map(|&w| child(w)), starts, &mut self.dest);
        let dest = &self.dest[..];
        let mut runs: Vec<Run<'_>> = self
            .words
            .iter_mut()
            .zip(&mut self.spare)
            .map(|(w, s)| Run::Words(&mut w[lo..hi], &mut s[lo..hi]))
            .collect();
        for v in [&mut self.values, &mut self.freq, &mut self.case]
            .into_iter()
            .flatten()
        {
            runs.push(Run::F64(&mut v[lo..hi]));
        }
        if let Some(c) = &mut self.chunk {
            runs.push(Run::U32(&mut c[lo..hi]));
        }
        runs.into_par_iter().for_each(|run| match run {
            Run::Words(v, spare) => {
                spare.copy_from_slice(v);
                scatter(spare, v, dest);
            }
            Run::F64(v) => {
                let src = v.to_vec();
                scatter(&src, v, dest);
            }
            Run::U32(v) => {
                let src = v.to_vec();
                scatter(&src, v, dest);
            }
        });
    }
}

/// The destination of every row of a run in a stable partition by `child` (0..k per row), child
/// c's rows starting at `starts[c]`, written to `dest`. Computed once per split and shared by all
/// columns.
fn destinations(child: impl Iterator<Item = usize>, starts: &[usize], dest: &mut Vec<u32>) {
    let mut pos: Vec<u32> = starts.iter().map(|&s| s as u32).collect();
    let n = child.size_hint().0;
    if dest.capacity() < n {
        *dest = crate::parallel::zeroed::<u32>(n);
    }
    dest.clear();
    dest.extend(child.map(|c| {
        let d = pos[c];
        pos[c] = d + 1;
        d
    }));
}

/// Moves `src[i]` to `out[dest[i]]`.
fn scatter<T: Copy>(src: &[T], out: &mut [T], dest: &[u32]) {
    for (&x, &d) in src.iter().zip(dest) {
        out[d as usize] = x;
    }
}

/// Unweighted class counts of every predictor over rows a..b, `out[j][s * n_classes + c]`: one
/// pass over each word column extracts all the fields the word holds, each row's class picking
/// one block of a single flat histogram.
pub(crate) fn count_classes(
    words: &[Vec<u64>],
    a: usize,
    b: usize,
    fields: &[Field],
    n_slots: &[usize],
    y: Field,
    n_classes: usize,
) -> Vec<Vec<f64>> {
    let mut off = Vec::with_capacity(fields.len());
    let mut total = 0;
    for &s in n_slots {
        off.push(total);
        total += s;
    }
    let mut h = vec![0u32; n_classes * total];
    let yw = &words[y.word][a..b];
    for (w, xw) in words.iter().enumerate() {
        let fs: Vec<(u32, u64, usize)> = fields
            .iter()
            .zip(&off)
            .filter(|(f, _)| f.word == w)
            .map(|(f, &o)| (f.shift, f.mask, o))
            .collect();
        if fs.is_empty() {
            continue;
        }
        for (&xv, &yv) in xw[a..b].iter().zip(yw) {
            let base = y.get(yv) * total;
            let row = &mut h[base..base + total];
            for &(s, m, o) in &fs {
                row[o + ((xv >> s) & m) as usize] += 1;
            }
        }
    }
    n_slots
        .iter()
        .zip(&off)
        .map(|(&ns, &o)| {
            let mut t = vec![0.0; ns * n_classes];
            for (s, cells) in t.chunks_mut(n_classes).enumerate() {
                for (c, cell) in cells.iter_mut().enumerate() {
                    *cell = f64::from(h[c * total + o + s]);
                }
            }
            t
        })
        .collect()
}

/// Adds weighted class sums of one predictor to `out`: per slot `[Σf per class, then (with case
/// weights) Σ f·case per class]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn weighted_classes(
    xw: &[u64],
    x: Field,
    yw: &[u64],
    y: Field,
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
    n_classes: usize,
    out: &mut [f64],
) {
    let width = n_classes * if case.is_some() { 2 } else { 1 };
    for (i, (&a, &b)) in xw.iter().zip(yw).enumerate() {
        let f = freq.map_or(1.0, |w| w[i]);
        let row = &mut out[x.get(a) * width..];
        add_class(row, y.get(b), n_classes, f, case.map(|c| c[i]));
    }
}

/// Adds one row of class `cls`, frequency weight `f` and case weight `case` to its slot's
/// `row`: the row arithmetic of every class table, in memory and in a distributed pass alike.
#[inline(always)]
pub(crate) fn add_class(row: &mut [f64], cls: usize, n_classes: usize, f: f64, case: Option<f64>) {
    row[cls] += f;
    if let Some(c) = case {
        row[n_classes + cls] += f * c;
    }
}

/// Adds one row of centred value `v`, frequency weight `f` and case weight `case` to its slot's
/// `row` `[Σf, Σw, Σw·v, Σw·v²]`, w = f · case: the row arithmetic of every continuous table.
#[inline(always)]
pub(crate) fn add_value(row: &mut [f64], v: f64, f: f64, case: Option<f64>) {
    let w = f * case.unwrap_or(1.0);
    row[0] += f;
    row[1] += w;
    row[2] += w * v;
    row[3] += w * v * v;
}

/// Adds per slot `[Σf, Σw, Σw·v, Σw·v²]` (w = f · case) of a continuous target to `out`.
pub(crate) fn continuous(
    xw: &[u64],
    x: Field,
    v: &[f64],
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
    out: &mut [f64],
) {
    for (i, (&a, &v)) in xw.iter().zip(v).enumerate() {
        let f = freq.map_or(1.0, |w| w[i]);
        add_value(&mut out[x.get(a) * 4..], v, f, case.map(|c| c[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_pack_first_fit() {
        let (f, n) = layout(&[2, 9, 1 << 24, 1 << 24, 1 << 24, 3, 17]);
        assert_eq!(n, 2);
        assert_eq!((f[0].word, f[0].shift, f[0].mask), (0, 0, 1));
        assert_eq!((f[1].word, f[1].shift, f[1].mask), (0, 1, 15));
        assert_eq!((f[2].word, f[2].shift, f[2].mask), (0, 5, (1 << 24) - 1));
        assert_eq!((f[3].word, f[3].shift), (0, 29));
        assert_eq!((f[4].word, f[4].shift), (1, 0));
        assert_eq!((f[5].word, f[5].shift, f[5].mask), (0, 53, 3));
        assert_eq!((f[6].word, f[6].shift, f[6].mask), (0, 55, 31));
    }

    #[test]
    fn partition_is_stable_and_counts_match() {
        let x = [0u32, 1, 2, 1, 0, 2, MISSING_CODE, 1];
        let y = [0u32, 1, 1, 0, 0, 1, 0, 1];
        let (fields, n_words) = layout(&[4, 2]);
        let words = pack(&[(&x, 3), (&y, 1)], &fields, n_words, None, 8);
        let mut rows = Rows::new(
            words,
            None,
            Some((0..8).map(f64::from).collect()),
            None,
            None,
        );
        // Rows 2..8 split by slot: {0, 1} -> child 0, {2, missing} -> child 1; moved once with
        // the weights beside them, once alone.
        let mut alone = Rows::new(rows.words.clone(), None, None, None, None);
        rows.partition(2, 8, fields[0], &[0, 0, 1, 1], &[0, 3]);
        alone.partition(2, 8, fields[0], &[0, 0, 1, 1], &[0, 3]);
        assert_eq!(rows.words, alone.words);
        let got: Vec<usize> = rows.words[0].iter().map(|&w| fields[0].get(w)).collect();
        assert_eq!(got, [0, 1, 1, 0, 1, 2, 2, 3]);
        assert_eq!(
            rows.freq.as_deref().unwrap(),
            &[0., 1., 3., 4., 7., 2., 5., 6.]
        );
        let (w, (fx, fy)) = (&rows.words[0], (fields[0], fields[1]));
        let counts = count_classes(&rows.words, 0, 8, &[fx], &[4], fy, 2).remove(0);
        let mut sums = vec![0.0; 8];
        weighted_classes(w, fx, w, fy, None, None, 2, &mut sums);
        assert_eq!(counts, sums);
        assert_eq!(counts, vec![2.0, 0.0, 1.0, 2.0, 0.0, 2.0, 1.0, 0.0]);
    }
}
