//! Autoregressive decoding: encoder once per batch, decoder step by step with a KV cache, greedy or beam search.
//!
//! The search follows Hugging Face `generate()` (transformers 4.57) step for step so that the same model gives
//! the same tokens:
//! - the sequence starts with `decoder_start_token_id`, and `max_length` counts that token;
//! - logits processors: `repetition_penalty`, `no_repeat_ngram_size`, `min_length`, `forced_bos_token_id`,
//!   `forced_eos_token_id`;
//! - greedy: argmax of the processed logits (first index on ties); a row stops at an eos token;
//! - beam: log-softmax, processors, add the beam score, keep the top `2 * num_beams` (more with several eos ids),
//!   finished hypotheses scored `sum_logprobs / generated_len ^ length_penalty`, `early_stopping` true / false /
//!   "never" as in `_check_early_stop_heuristic`, the `-1e9` masking arithmetic done in `f32` as torch does.
//!
//! The KV cache: self-attention keys/values grow each step; cross-attention keys/values come from the first step
//! only. In a merged decoder's cache branch the `present.*.encoder.*` outputs are empty placeholders, so they are
//! never read after the first step. Beam search reorders the self-attention cache rows by beam origin; rows of
//! finished lines are dropped so a batch only pays for lines still decoding.

use std::borrow::Cow;

use ndarray::Array4;
use ort::session::SessionInputValue;
use ort::value::{DynValue, Tensor};

use crate::model::{DecoderSessions, EarlyStopping, GenerationConfig, Model};
use crate::{Error, Result};

/// One decoded line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    /// Generated ids after the start token, without the eos and trailing padding.
    pub tokens: Vec<u32>,
    /// Sum of the log-probabilities (after logits processors) of every generated token, eos included.
    pub log_prob_sum: f64,
    /// How many tokens that sum covers.
    pub scored: usize,
}

impl Decoded {
    /// Geometric mean of the chosen tokens' probabilities: `exp(log_prob_sum / scored)`, in `[0, 1]`.
    pub fn confidence(&self) -> f32 {
        if self.scored == 0 || !self.log_prob_sum.is_finite() {
            return 0.0;
        }
        ((self.log_prob_sum / self.scored as f64).exp() as f32).clamp(0.0, 1.0)
    }
}

fn infer<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Error {
    move |e| Error::Inference(format!("{what}: {e}"))
}

/// Run the encoder on `[n, 3, h, w]` pixel values; returns `last_hidden_state`.
pub(crate) fn encode(model: &Model, pixel_values: Array4<f32>) -> Result<DynValue> {
    let input = Tensor::from_array(pixel_values).map_err(infer("encoder input"))?;
    let mut session = model.encoder.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = session.run(vec![("pixel_values", SessionInputValue::from(input))]).map_err(infer("encoder"))?;
    out.remove("last_hidden_state").ok_or_else(|| Error::Inference("encoder returned no last_hidden_state".into()))
}

/// Run the encoder only (for benchmarks): `[n, seq, hidden]` shape of the output.
pub(crate) fn encode_shape(model: &Model, pixel_values: Array4<f32>) -> Result<Vec<usize>> {
    let v = encode(model, pixel_values)?;
    let (shape, _) = v.try_extract_tensor::<f32>().map_err(infer("encoder output"))?;
    Ok(shape.iter().map(|d| *d as usize).collect())
}

/// Copy the rows `idx` (axis 0) of an f32 tensor into a new tensor.
fn gather_rows(v: &DynValue, idx: &[usize]) -> Result<DynValue> {
    let (shape, data) = v.try_extract_tensor::<f32>().map_err(infer("cache"))?;
    let rows = shape.first().copied().unwrap_or(0) as usize;
    let row_len = if rows == 0 { 0 } else { data.len() / rows };
    let mut out = Vec::with_capacity(idx.len() * row_len);
    for &i in idx {
        out.extend_from_slice(&data[i * row_len..(i + 1) * row_len]);
    }
    let mut dims: Vec<i64> = shape.to_vec();
    dims[0] = idx.len() as i64;
    Tensor::from_array((dims, out)).map(|t| t.into_dyn()).map_err(infer("cache gather"))
}

fn is_identity(idx: &[usize], rows: usize) -> bool {
    idx.len() == rows && idx.iter().enumerate().all(|(i, &j)| i == j)
}

/// Decoder state for a batch of rows: encoder output and the KV cache.
struct DecoderRun<'m> {
    model: &'m Model,
    encoder_hidden: DynValue,
    encoder_seq: usize,
    rows: usize,
    /// `(input name, value)` for self-attention entries (`.decoder.`) and cross-attention entries (`.encoder.`).
    self_cache: Vec<(String, DynValue)>,
    cross_cache: Vec<(String, DynValue)>,
    past_len: usize,
}

impl<'m> DecoderRun<'m> {
    fn new(model: &'m Model, encoder_hidden: DynValue) -> Result<Self> {
        let (shape, _) = encoder_hidden.try_extract_tensor::<f32>().map_err(infer("encoder output"))?;
        if shape.len() != 3 {
            return Err(Error::Inference(format!("encoder output has shape {shape:?}, expected [batch, seq, hidden]")));
        }
        let (rows, encoder_seq) = (shape[0] as usize, shape[1] as usize);
        Ok(Self { model, encoder_hidden, encoder_seq, rows, self_cache: Vec::new(), cross_cache: Vec::new(), past_len: 0 })
    }

    /// Keep only rows `idx` (in that order) of the encoder output and caches. `cross` also gathers the
    /// cross-attention cache (needed when rows are dropped, not when beams are permuted within a line).
    fn select_rows(&mut self, idx: &[usize], cross: bool) -> Result<()> {
        if is_identity(idx, self.rows) {
            return Ok(());
        }
        for (_, v) in &mut self.self_cache {
            *v = gather_rows(v, idx)?;
        }
        if cross {
            for (_, v) in &mut self.cross_cache {
                *v = gather_rows(v, idx)?;
            }
            self.encoder_hidden = gather_rows(&self.encoder_hidden, idx)?;
        }
        self.rows = idx.len();
        Ok(())
    }

    /// One decoder step: feed the last token of every row, return logits `[rows * vocab]`.
    fn step(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        debug_assert_eq!(tokens.len(), self.rows);
        let first = self.past_len == 0;
        let (session, io) = match &self.model.decoder {
            DecoderSessions::Merged { session, io } => (session, io),
            DecoderSessions::Split { first: f, first_io, with_past, with_past_io } => {
                if first { (f, first_io) } else { (with_past, with_past_io) }
            }
        };
        let rows = self.rows;
        let shape = self.model.info.decoder;
        let mut inputs: Vec<(Cow<str>, SessionInputValue)> = Vec::with_capacity(io.past_inputs.len() + 6);
        let ids: SessionInputValue = if io.input_ids_i32 {
            Tensor::from_array(([rows, 1], tokens.iter().map(|&t| t as i32).collect::<Vec<_>>())).map_err(infer("input_ids"))?.into()
        } else {
            Tensor::from_array(([rows, 1], tokens.iter().map(|&t| i64::from(t)).collect::<Vec<_>>())).map_err(infer("input_ids"))?.into()
        };
        inputs.push(("input_ids".into(), ids));
        if io.has_encoder_hidden_states {
            inputs.push(("encoder_hidden_states".into(), (&self.encoder_hidden).into()));
        }
        if io.has_encoder_attention_mask {
            let m = Tensor::from_array(([rows, self.encoder_seq], vec![1i64; rows * self.encoder_seq])).map_err(infer("mask"))?;
            inputs.push(("encoder_attention_mask".into(), m.into()));
        }
        if io.has_attention_mask {
            let n = self.past_len + 1;
            let m = Tensor::from_array(([rows, n], vec![1i64; rows * n])).map_err(infer("mask"))?;
            inputs.push(("attention_mask".into(), m.into()));
        }
        if io.has_cache_position {
            let p = Tensor::from_array(([1usize], vec![self.past_len as i64])).map_err(infer("cache_position"))?;
            inputs.push(("cache_position".into(), p.into()));
        }
        if io.has_use_cache_branch {
            let b = Tensor::from_array(([1usize], vec![!first])).map_err(infer("use_cache_branch"))?;
            inputs.push(("use_cache_branch".into(), b.into()));
        }
        for name in &io.past_inputs {
            let cached = self.self_cache.iter().chain(self.cross_cache.iter()).find(|(n, _)| n == name);
            match (first, cached) {
                (false, Some((_, v))) => inputs.push((name.as_str().into(), v.into())),
                (true, _) => {
                    // Optimum's dummy past for the first pass: sequence length 0.
                    let t = Tensor::from_array(([rows, shape.heads, 0, shape.head_dim], Vec::<f32>::new()))
                        .map_err(infer("empty past"))?;
                    inputs.push((name.as_str().into(), t.into()));
                }
                (false, None) => return Err(Error::Inference(format!("no cached value for decoder input `{name}`"))),
            }
        }

        let mut guard = session.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = guard.run(inputs).map_err(infer("decoder"))?;
        let logits = {
            let v = out.get("logits").ok_or_else(|| Error::Inference("decoder returned no logits".into()))?;
            let (lshape, data) = v.try_extract_tensor::<f32>().map_err(infer("logits"))?;
            if lshape.len() != 3 || lshape[0] as usize != rows {
                return Err(Error::Inference(format!("logits have shape {lshape:?}, expected [{rows}, seq, vocab]")));
            }
            let (seq, vocab) = (lshape[1] as usize, lshape[2] as usize);
            let mut last = Vec::with_capacity(rows * vocab);
            for r in 0..rows {
                let off = (r * seq + seq - 1) * vocab;
                last.extend_from_slice(&data[off..off + vocab]);
            }
            last
        };
        let present: Vec<String> = out.keys().filter(|k| k.starts_with("present.")).map(str::to_string).collect();
        for name in present {
            let input = format!("past_key_values.{}", &name["present.".len()..]);
            let is_cross = input.contains(".encoder.");
            // Cross-attention K/V only from the first step: later ones are placeholders (merged) or absent.
            if is_cross && !first {
                continue;
            }
            let Some(v) = out.remove(&name) else { continue };
            let cache = if is_cross { &mut self.cross_cache } else { &mut self.self_cache };
            match cache.iter_mut().find(|(n, _)| *n == input) {
                Some(slot) => slot.1 = v,
                None => cache.push((input, v)),
            }
        }
        drop(out);
        drop(guard);
        self.past_len += 1;
        Ok(logits)
    }
}

/// Apply the generation config's logits processors to one row (`seq` includes the start token).
fn process(scores: &mut [f32], seq: &[u32], g: &GenerationConfig, max_length: usize) {
    let cur_len = seq.len();
    if g.repetition_penalty != 1.0 {
        let p = g.repetition_penalty;
        let mut seen: Vec<u32> = seq.to_vec();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            if let Some(s) = scores.get_mut(t as usize) {
                *s = if *s < 0.0 { *s * p } else { *s / p };
            }
        }
    }
    let n = g.no_repeat_ngram_size;
    if n > 0 && cur_len + 1 >= n {
        // Ban every token that would complete an n-gram already in the sequence.
        let prefix = &seq[cur_len + 1 - n..];
        for w in seq.windows(n) {
            if &w[..n - 1] == prefix {
                if let Some(s) = scores.get_mut(w[n - 1] as usize) {
                    *s = f32::NEG_INFINITY;
                }
            }
        }
    }
    if cur_len < g.min_length {
        for &e in &g.eos_token_ids {
            if let Some(s) = scores.get_mut(e as usize) {
                *s = f32::NEG_INFINITY;
            }
        }
    }
    if let Some(bos) = g.forced_bos_token_id.filter(|_| cur_len == 1) {
        force(scores, &[bos]);
    }
    if !g.forced_eos_token_ids.is_empty() && cur_len == max_length - 1 {
        force(scores, &g.forced_eos_token_ids);
    }
}

fn force(scores: &mut [f32], allowed: &[u32]) {
    for (i, s) in scores.iter_mut().enumerate() {
        *s = if allowed.contains(&(i as u32)) { 0.0 } else { f32::NEG_INFINITY };
    }
}

/// `log_softmax` of one row, in place.
fn log_softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return;
    }
    let sum: f64 = x.iter().map(|&v| f64::from(v - max).exp()).sum();
    let lse = max + sum.ln() as f32;
    for v in x.iter_mut() {
        *v -= lse;
    }
}

/// Index of the first maximum (torch.argmax semantics).
fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] || (x[best].is_nan() && !v.is_nan()) {
            best = i;
        }
    }
    best
}

/// Cut a finished sequence (with its start token) to the generated ids: after the start, before the first eos
/// or pad token (a pad token ends the text even when a model emits it itself: it decodes to nothing).
fn trim(seq: &[u32], g: &GenerationConfig) -> Vec<u32> {
    seq.iter().skip(1).copied().take_while(|t| !g.eos_token_ids.contains(t) && Some(*t) != g.pad_token_id).collect()
}

/// Greedy search for every row of `encoder_hidden`.
pub(crate) fn greedy(model: &Model, encoder_hidden: DynValue, g: &GenerationConfig) -> Result<Vec<Decoded>> {
    let mut run = DecoderRun::new(model, encoder_hidden)?;
    let n = run.rows;
    let max_length = g.max_length;
    let mut seqs: Vec<Vec<u32>> = vec![vec![g.decoder_start_token_id]; n];
    let mut sums = vec![0f64; n];
    let mut active: Vec<usize> = (0..n).collect();
    while !active.is_empty() && seqs[active[0]].len() < max_length {
        let last: Vec<u32> = active.iter().map(|&r| *seqs[r].last().unwrap_or(&g.decoder_start_token_id)).collect();
        let mut logits = run.step(&last)?;
        let vocab = logits.len() / active.len();
        let mut still = Vec::with_capacity(active.len());
        for (i, &r) in active.iter().enumerate() {
            let row = &mut logits[i * vocab..(i + 1) * vocab];
            process(row, &seqs[r], g, max_length);
            let tok = argmax(row);
            log_softmax(row);
            sums[r] += f64::from(row[tok]);
            seqs[r].push(tok as u32);
            if !g.eos_token_ids.contains(&(tok as u32)) {
                still.push(i);
            }
        }
        if still.len() != active.len() && !still.is_empty() {
            run.select_rows(&still, true)?;
        }
        active = still.iter().map(|&i| active[i]).collect();
    }
    Ok(seqs
        .iter()
        .zip(sums)
        .map(|(s, sum)| Decoded { tokens: trim(s, g), log_prob_sum: sum, scored: s.len() - 1 })
        .collect())
}

/// One line's beam search state (Hugging Face's per-batch-item tensors, unvectorised).
struct BeamItem {
    running: Vec<Vec<u32>>,
    running_scores: Vec<f32>,
    finished: Vec<Vec<u32>>,
    /// Length-normalised scores of `finished` (`-1e9` for empty slots), best first.
    finished_scores: Vec<f32>,
    /// Raw log-probability sums of `finished`, for the confidence.
    finished_raw: Vec<f32>,
    is_finished: Vec<bool>,
    heuristic_unsatisfied: bool,
    done: bool,
}

/// Indices of the `k` largest values, largest first; ties keep the lower index first.
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let cmp = |a: &usize, b: &usize| values[*b].total_cmp(&values[*a]).then(a.cmp(b));
    let mut idx: Vec<usize> = (0..values.len()).collect();
    if k < idx.len() {
        idx.select_nth_unstable_by(k, cmp);
        idx.truncate(k);
    }
    idx.sort_by(cmp);
    idx
}

/// Beam search for every row of `encoder_hidden` (one row per line; expanded to `num_beams` rows inside).
pub(crate) fn beam_search(model: &Model, encoder_hidden: DynValue, g: &GenerationConfig) -> Result<Vec<Decoded>> {
    let nb = g.num_beams;
    let lines = {
        let (shape, _) = encoder_hidden.try_extract_tensor::<f32>().map_err(infer("encoder output"))?;
        shape.first().copied().unwrap_or(0) as usize
    };
    // HF expands the encoder output with repeat_interleave(num_beams).
    let expand: Vec<usize> = (0..lines).flat_map(|l| std::iter::repeat_n(l, nb)).collect();
    let mut run = DecoderRun::new(model, gather_rows(&encoder_hidden, &expand)?)?;
    drop(encoder_hidden);

    let max_length = g.max_length;
    let lp = g.length_penalty;
    let keep = (1 + g.eos_token_ids.len()).max(2) * nb;
    let mut items: Vec<BeamItem> = (0..lines)
        .map(|_| BeamItem {
            running: vec![vec![g.decoder_start_token_id]; nb],
            running_scores: std::iter::once(0.0).chain(std::iter::repeat_n(-1e9f32, nb - 1)).collect(),
            finished: vec![Vec::new(); nb],
            finished_scores: vec![-1e9; nb],
            finished_raw: vec![0.0; nb],
            is_finished: vec![false; nb],
            heuristic_unsatisfied: true,
            done: false,
        })
        .collect();
    // Lines still decoding, in the order of their row blocks in `run`.
    let mut active: Vec<usize> = (0..lines).collect();
    let mut cur_len = 1usize;
    while !active.is_empty() {
        let last: Vec<u32> = active
            .iter()
            .flat_map(|&l| items[l].running.iter().map(|s| *s.last().unwrap_or(&g.decoder_start_token_id)))
            .collect();
        let mut logits = run.step(&last)?;
        let vocab = logits.len() / last.len();
        let mut all_hit = true;
        let mut next_rows: Vec<usize> = Vec::with_capacity(last.len());
        let mut still: Vec<usize> = Vec::with_capacity(active.len());
        for (block, &l) in active.iter().enumerate() {
            let item = &mut items[l];
            let base = block * nb;
            // Accumulated scores over nb * vocab candidates.
            let mut acc = vec![0f32; nb * vocab];
            for b in 0..nb {
                let row = &mut logits[(base + b) * vocab..(base + b + 1) * vocab];
                log_softmax(row);
                process(row, &item.running[b], g, max_length);
                let s = item.running_scores[b];
                for (a, &v) in acc[b * vocab..(b + 1) * vocab].iter_mut().zip(row.iter()) {
                    *a = v + s;
                }
            }
            let top = top_k(&acc, keep);
            let cand_beam: Vec<usize> = top.iter().map(|&i| i / vocab).collect();
            let cand_tok: Vec<u32> = top.iter().map(|&i| (i % vocab) as u32).collect();
            let cand_score: Vec<f32> = top.iter().map(|&i| acc[i]).collect();
            let hit: Vec<bool> =
                cand_tok.iter().map(|t| cur_len + 1 >= max_length || g.eos_token_ids.contains(t)).collect();
            all_hit &= hit.iter().all(|&h| h);

            // Running beams for the next step: best non-finished continuations.
            let masked: Vec<f32> = cand_score.iter().zip(&hit).map(|(&s, &h)| if h { s + -1e9 } else { s }).collect();
            let next = top_k(&masked, nb);
            let new_running: Vec<Vec<u32>> = next
                .iter()
                .map(|&j| {
                    let mut s = item.running[cand_beam[j]].clone();
                    s.push(cand_tok[j]);
                    s
                })
                .collect();

            // Finished hypotheses: merge the old ones with the top-num_beams candidates that just ended.
            let denom = (cur_len as f64).powf(lp) as f32;
            let full = item.is_finished.iter().all(|&f| f) && g.early_stopping == EarlyStopping::True;
            let mut merged_scores = item.finished_scores.clone();
            for (j, &s) in cand_score.iter().enumerate() {
                let mut v = s / denom;
                if full {
                    v += -1e9;
                }
                if !item.heuristic_unsatisfied {
                    v += -1e9;
                }
                if !(hit[j] && j < nb) {
                    v += -1e9;
                }
                merged_scores.push(v);
            }
            let pick = top_k(&merged_scores, nb);
            let mut finished = Vec::with_capacity(nb);
            let mut raw = Vec::with_capacity(nb);
            let mut is_fin = Vec::with_capacity(nb);
            for &m in &pick {
                if m < nb {
                    finished.push(item.finished[m].clone());
                    raw.push(item.finished_raw[m]);
                    is_fin.push(item.is_finished[m]);
                } else {
                    let j = m - nb;
                    let mut s = item.running[cand_beam[j]].clone();
                    s.push(cand_tok[j]);
                    finished.push(s);
                    raw.push(cand_score[j]);
                    is_fin.push(hit[j] && j < nb);
                }
            }
            item.finished_scores = pick.iter().map(|&m| merged_scores[m]).collect();
            item.finished = finished;
            item.finished_raw = raw;
            item.is_finished = is_fin;
            item.running_scores = next.iter().map(|&j| masked[j]).collect();
            item.running = new_running;
            next_rows.extend(next.iter().map(|&j| base + cand_beam[j]));

            // Early-stop heuristic, evaluated with the new length.
            let new_len = cur_len + 1;
            let hyp_len = if g.early_stopping == EarlyStopping::Never && lp > 0.0 { max_length - 1 } else { new_len - 1 };
            let best = item.running_scores[0] / (hyp_len as f64).powf(lp) as f32;
            let worst = item.finished_scores.iter().copied().fold(f32::INFINITY, f32::min);
            let improvable = item.is_finished.iter().any(|&f| best > if f { worst } else { -1e9 });
            item.heuristic_unsatisfied &= improvable;
            let all_finished = item.is_finished.iter().all(|&f| f);
            item.done = !item.heuristic_unsatisfied || (all_finished && g.early_stopping == EarlyStopping::True);
            if !item.done {
                still.push(block);
            }
        }
        cur_len += 1;
        if all_hit || cur_len >= max_length {
            break;
        }
        // Reorder the self-attention cache by beam origin, then drop the rows of finished lines.
        run.select_rows(&next_rows, false)?;
        if still.len() != active.len() {
            let keep_rows: Vec<usize> = still.iter().flat_map(|&b| (b * nb)..(b * nb + nb)).collect();
            run.select_rows(&keep_rows, true)?;
        }
        active = still.iter().map(|&b| active[b]).collect();
    }

    Ok(items
        .iter()
        .map(|item| {
            let seq = &item.finished[0];
            if seq.is_empty() {
                return Decoded { tokens: Vec::new(), log_prob_sum: f64::NEG_INFINITY, scored: 0 };
            }
            Decoded { tokens: trim(seq, g), log_prob_sum: f64::from(item.finished_raw[0]), scored: seq.len() - 1 }
        })
        .collect())
}

/// One decoder step with a warm KV cache, repeatable, for benchmarks: each [`DecoderStepBench::step`] restores
/// the cache snapshot (a memcpy) and runs one step with past.
#[doc(hidden)]
pub struct DecoderStepBench<'m> {
    run: DecoderRun<'m>,
    snapshot: Vec<(String, Vec<i64>, Vec<f32>)>,
    past_len: usize,
    token: u32,
}

impl DecoderStepBench<'_> {
    /// Run one decoder step from the snapshot; returns the logits length.
    pub fn step(&mut self) -> Result<usize> {
        for ((_, v), (_, shape, data)) in self.run.self_cache.iter_mut().zip(&self.snapshot) {
            *v = Tensor::from_array((shape.clone(), data.clone())).map_err(infer("cache restore"))?.into_dyn();
        }
        self.run.past_len = self.past_len;
        let tokens = vec![self.token; self.run.rows];
        self.run.step(&tokens).map(|l| l.len())
    }
}

/// Encode, then run `warm_steps` (at least 1) greedy steps to fill the cache, for [`DecoderStepBench`].
pub(crate) fn decoder_step_bench(model: &Model, pixel_values: Array4<f32>, warm_steps: usize) -> Result<DecoderStepBench<'_>> {
    let hidden = encode(model, pixel_values)?;
    let mut run = DecoderRun::new(model, hidden)?;
    let mut token = model.info.generation.decoder_start_token_id;
    for _ in 0..warm_steps.max(1) {
        let logits = run.step(&vec![token; run.rows])?;
        let vocab = logits.len() / run.rows;
        token = argmax(&logits[..vocab]) as u32;
    }
    let mut snapshot = Vec::new();
    for (name, v) in &run.self_cache {
        let (shape, data) = v.try_extract_tensor::<f32>().map_err(infer("cache"))?;
        snapshot.push((name.clone(), shape.to_vec(), data.to_vec()));
    }
    let past_len = run.past_len;
    Ok(DecoderStepBench { run, snapshot, past_len, token })
}

/// Encode pixel values and decode with greedy (`num_beams == 1`) or beam search.
pub(crate) fn generate(model: &Model, pixel_values: Array4<f32>, g: &GenerationConfig) -> Result<Vec<Decoded>> {
    let hidden = encode(model, pixel_values)?;
    if g.num_beams <= 1 { greedy(model, hidden, g) } else { beam_search(model, hidden, g) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GenerationConfig {
        GenerationConfig {
            decoder_start_token_id: 2,
            bos_token_id: Some(0),
            eos_token_ids: vec![2],
            pad_token_id: Some(1),
            max_length: 10,
            min_length: 0,
            num_beams: 1,
            length_penalty: 1.0,
            no_repeat_ngram_size: 0,
            early_stopping: EarlyStopping::False,
            repetition_penalty: 1.0,
            forced_bos_token_id: None,
            forced_eos_token_ids: Vec::new(),
        }
    }

    #[test]
    fn no_repeat_ngram_bans_completing_token() {
        let g = GenerationConfig { no_repeat_ngram_size: 3, ..cfg() };
        // seq: 2 5 6 7 5 6 -> the 3-gram (5, 6, 7) exists, so after "5 6" token 7 is banned.
        let mut scores = vec![0.0f32; 10];
        process(&mut scores, &[2, 5, 6, 7, 5, 6], &g, 20);
        assert_eq!(scores[7], f32::NEG_INFINITY);
        assert!(scores.iter().enumerate().all(|(i, s)| i == 7 || *s == 0.0));
    }

    #[test]
    fn min_length_blocks_eos_and_forced_eos_forces_it() {
        let g = GenerationConfig { min_length: 3, forced_eos_token_ids: vec![2], ..cfg() };
        let mut s = vec![0.5f32; 5];
        process(&mut s, &[2, 4], &g, 10);
        assert_eq!(s[2], f32::NEG_INFINITY);
        let mut s = vec![0.5f32; 5];
        process(&mut s, &[2, 4, 4, 4, 4, 4, 4, 4, 4], &g, 10);
        assert_eq!(s, vec![f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY, f32::NEG_INFINITY]);
    }

    #[test]
    fn repetition_penalty_scales_seen_tokens() {
        let g = GenerationConfig { repetition_penalty: 2.0, ..cfg() };
        let mut s = vec![1.0f32, -1.0, 1.0];
        process(&mut s, &[0, 1], &g, 10);
        assert_eq!(s, vec![0.5, -2.0, 1.0]);
    }

    #[test]
    fn trim_cuts_at_eos_and_padding() {
        assert_eq!(trim(&[2, 7, 8, 2, 1, 1], &cfg()), vec![7, 8]);
        assert_eq!(trim(&[2, 7, 8, 1, 1], &cfg()), vec![7, 8]);
        assert_eq!(trim(&[2, 7, 1, 8, 2], &cfg()), vec![7]);
        assert_eq!(trim(&[2], &cfg()), Vec::<u32>::new());
    }

    #[test]
    fn top_k_is_sorted_and_stable() {
        assert_eq!(top_k(&[0.1, 0.5, 0.5, -1.0, 0.9], 3), vec![4, 1, 2]);
        assert_eq!(top_k(&[1.0, 2.0], 5), vec![1, 0]);
    }

    #[test]
    fn argmax_takes_first_maximum_and_log_softmax_normalises() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        let mut x = vec![1.0f32, 2.0, 3.0];
        log_softmax(&mut x);
        let total: f32 = x.iter().map(|v| v.exp()).sum();
        assert!((total - 1.0).abs() < 1e-6);
    }

    #[test]
    fn confidence_is_geometric_mean() {
        let d = Decoded { tokens: vec![5, 6], log_prob_sum: (0.5f64).ln() * 3.0, scored: 3 };
        assert!((d.confidence() - 0.5).abs() < 1e-6);
    }
}
