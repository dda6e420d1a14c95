//! The choice data laid out for the fused pass: the difference rows x̃ = x − x_chosen of
//! [`ChoiceData::differences`], in blocks of [`BLOCK`] respondents, each block column by column
//! over its tasks (padded to a multiple of [`LANES`]).

use std::ops::Range;

use crate::conjoint::data::ChoiceData;

/// Respondents per block of the fused pass. Blocks are the unit of parallel work and their
/// partial sums are merged in block order, so results do not depend on the number of threads.
pub(super) const BLOCK: usize = 16;

/// Tasks of a block are padded to a multiple of this many (with zero rows that belong to no
/// respondent), so the kernels run over whole vectors.
const LANES: usize = 8;

/// A block of respondents in [`Design`].
struct Block {
    resp: Range<usize>,
    /// First task.
    t0: usize,
    /// Tasks, padded to a multiple of [`LANES`].
    nt: usize,
    /// Offsets of the block in `Design::x` and `Design::mask`.
    x: usize,
    mask: usize,
}

/// The choice data laid out for the fused pass.
pub(super) struct Design<'a> {
    pub k: usize,
    /// Non-chosen alternatives per task: those of the largest task (smaller tasks are padded).
    pub jm: usize,
    /// Task offsets of the respondents.
    respondents: &'a [usize],
    blocks: Vec<Block>,
    /// Per block: for each non-chosen slot j and column a, the column x̃_ja over the block's
    /// (padded) tasks, at `block.x + (j·k + a)·nt`.
    x: Vec<f64>,
    /// Per block: 1 for a real alternative, 0 for padding (slot j at `block.mask + j·nt`). Empty
    /// when every task has jm + 1 alternatives.
    mask: Vec<f64>,
}

/// One block of a [`Design`] as the pass reads it.
pub(super) struct BlockView<'a> {
    pub k: usize,
    pub jm: usize,
    /// The block's first respondent and its number of respondents.
    pub first: usize,
    pub nb: usize,
    /// Tasks (padded).
    pub nt: usize,
    /// The block's jm·k columns of nt tasks, slot by slot.
    pub x: &'a [f64],
    /// jm × nt: 1 for a real alternative, 0 for padding; `None` when no task is short.
    pub mask: Option<&'a [f64]>,
    respondents: &'a [usize],
    t0: usize,
}

impl BlockView<'_> {
    /// Slot j's k columns, one after the other.
    #[inline(always)]
    pub fn slot(&self, j: usize) -> &[f64] {
        let n = self.k * self.nt;
        &self.x[j * n..(j + 1) * n]
    }

    /// Tasks of the block's r-th respondent, relative to the block.
    #[inline(always)]
    pub fn tasks(&self, r: usize) -> Range<usize> {
        let i = self.first + r;
        self.respondents[i] - self.t0..self.respondents[i + 1] - self.t0
    }
}

impl<'a> Design<'a> {
    pub fn new(d: &ChoiceData, respondents: &'a [usize]) -> Self {
        let k = d.k;
        let n = respondents.len() - 1;
        let n_tasks = d.n_tasks();
        let jm = if n_tasks == 0 {
            1
        } else {
            d.max_slots(0..n_tasks)
        };
        let uneven = (0..n_tasks).any(|t| d.starts[t + 1] - d.starts[t] != jm + 1);
        let mut blocks = Vec::new();
        let (mut xo, mut mo) = (0, 0);
        for i0 in (0..n).step_by(BLOCK) {
            let resp = i0..(i0 + BLOCK).min(n);
            let t0 = respondents[resp.start];
            let nt = (respondents[resp.end] - t0).div_ceil(LANES) * LANES;
            blocks.push(Block {
                resp,
                t0,
                nt,
                x: xo,
                mask: mo,
            });
            xo += jm * k * nt;
            mo += jm * nt;
        }
        let mut x = vec![0.0; xo];
        let mut mask = if uneven { vec![0.0; mo] } else { Vec::new() };
        for b in &blocks {
            let nt = b.nt;
            for t in respondents[b.resp.start]..respondents[b.resp.end] {
                let tau = t - b.t0;
                let filled = d.differences(t, |j, a, v| x[b.x + (j * k + a) * nt + tau] = v);
                if uneven {
                    for j in 0..filled {
                        mask[b.mask + j * nt + tau] = 1.0;
                    }
                }
            }
        }
        Design {
            k,
            jm,
            respondents,
            blocks,
            x,
            mask,
        }
    }

    /// Respondents.
    pub fn n(&self) -> usize {
        self.respondents.len() - 1
    }

    pub fn n_blocks(&self) -> usize {
        self.blocks.len()
    }

    pub fn block(&self, b: usize) -> BlockView<'_> {
        let (k, jm) = (self.k, self.jm);
        let blk = &self.blocks[b];
        let nt = blk.nt;
        BlockView {
            k,
            jm,
            first: blk.resp.start,
            nb: blk.resp.len(),
            nt,
            x: &self.x[blk.x..blk.x + jm * k * nt],
            mask: (!self.mask.is_empty()).then(|| &self.mask[blk.mask..blk.mask + jm * nt]),
            respondents: self.respondents,
            t0: blk.t0,
        }
    }
}
