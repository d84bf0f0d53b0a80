"""Train the line recogniser on synthetic lines rendered on the fly.

DataLoader workers render lines (render.py) while the main process trains on the GPU (or CPU).
When the workers cannot keep up, recent batches are reused with fresh GPU-side augmentation (noise, contrast,
small shifts) rather than letting the accelerator idle. The learning-rate schedule runs on wall-clock time, so a
run of `--minutes` ends exactly on its budget with the schedule completed. Checkpoints (fp16 weights, split in
two files so each stays small) are written every `--ckpt-every` seconds and at the end; `--resume` continues
from one. The log (`train.log`, JSON lines) has loss, CTC loss, throughput and synthetic-validation CER.

Usage (see Makefile `train`): python train.py --data DIR --out DIR [--minutes 8] [--device cuda]
DIR holds corpus.txt.gz, tokenizer.json, coverage.json, charset.json and fonts/.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import queue
import random
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics import cer  # noqa: E402
from model import ModelConfig, OcrModel, count_params  # noqa: E402
from realprint import printed_text, with_accents  # noqa: E402
from render import Renderer, check_raqm  # noqa: E402

MAX_TOKENS = 100  # with bos/eos; lines are at most ~95 characters


def load_lines(path: str) -> list[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [x for x in f.read().split("\n") if x]


def compose_text(lines: list[str], rng: random.Random) -> str:
    """Most printed lines are long: join corpus lines up to a random target length; keep some short ones."""
    target = rng.randint(30, 85) if rng.random() < 0.75 else rng.randint(1, 30)
    text = rng.choice(lines)
    while len(text) < target:
        text += " " + rng.choice(lines)
    if len(text) > 95:
        cut = text.rfind(" ", 0, 95)
        text = text[:cut] if cut > 10 else text[:95]
    return text.strip()


class LineStream(torch.utils.data.IterableDataset):
    """Rendered lines, endless. `real_print` of them are drawn as real print (`realprint.py`: older text
    conventions, printing and scanning damage) and `nontext` are crops without text, whose target is empty."""

    def __init__(self, data: str, cfg: ModelConfig, seed: int, real_print: float = 0.0, nontext: float = 0.0):
        self.data, self.cfg, self.seed = data, cfg, seed
        self.real_print, self.nontext = real_print, nontext

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = random.Random(self.seed * 1009 + wid)
        lines = load_lines(os.path.join(self.data, "corpus.txt.gz"))
        tok = Tokenizer.from_file(os.path.join(self.data, "tokenizer.json"))
        charset = json.load(open(os.path.join(self.data, "charset.json"), encoding="utf-8"))
        cidx = {c: i + 1 for i, c in enumerate(charset)}
        r = Renderer(os.path.join(self.data, "fonts"), os.path.join(self.data, "coverage.json"),
                     self.cfg.height, self.cfg.width)
        while True:
            k = rng.random()
            if k < self.nontext:
                text, img = "", r.nontext(rng)
            elif k < self.nontext + self.real_print:
                text = printed_text(compose_text(lines, rng), rng)
                shown = with_accents(text, rng) if rng.random() < 0.05 else text
                img = r.render_print(shown, compose_text(lines, rng), rng)
            else:
                text = compose_text(lines, rng)
                img = r.render(text, rng)
            if img is None:
                continue
            ids = [self.cfg.bos_id] + tok.encode(text).ids + [self.cfg.eos_id]
            if len(ids) > MAX_TOKENS:
                continue
            yield img, ids, [cidx.get(c, 0) for c in text if c in cidx]


def collate(batch, pad_id: int):
    imgs = torch.from_numpy(np.stack([b[0] for b in batch]))
    n = max(len(b[1]) for b in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    for i, b in enumerate(batch):
        ids[i, : len(b[1])] = torch.tensor(b[1])
    ctc = torch.tensor([c for b in batch for c in b[2]], dtype=torch.long)
    ctc_len = torch.tensor([len(b[2]) for b in batch], dtype=torch.long)
    return imgs, ids, ctc, ctc_len


def to_input(imgs: torch.Tensor, gen: torch.Generator | None, augment: bool) -> torch.Tensor:
    """uint8 [B,H,W] -> normalised [B,3,H,W] as ViTImageProcessor (mean 0.5, std 0.5), plus GPU augmentation."""
    x = imgs.float() / 255.0
    if augment:
        b = x.shape[0]
        dev = x.device
        r = lambda *s: torch.rand(*s, device=dev, generator=gen)  # noqa: E731
        # contrast and brightness
        c = 0.6 + 0.6 * r(b, 1, 1)
        m = x.mean((1, 2), keepdim=True)
        x = (x - m) * c + m + (r(b, 1, 1) - 0.5) * 0.2
        # gaussian noise on ~40% of lines
        sigma = torch.where(r(b, 1, 1) < 0.4, r(b, 1, 1) * 0.08, torch.zeros(b, 1, 1, device=dev))
        x = x + sigma * torch.randn(x.shape, device=dev, generator=gen)
        x = x.clamp(0, 1)
    x = (x - 0.5) / 0.5
    return x[:, None].expand(-1, 3, -1, -1)


def shift(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small random scale/translation for reused batches, so a replayed batch is not the same image."""
    b = x.shape[0]
    dev = x.device
    r = lambda *s: torch.rand(*s, device=dev, generator=gen)  # noqa: E731
    sx, sy = 0.95 + 0.1 * r(b), 0.92 + 0.16 * r(b)
    tx, ty = (r(b) - 0.5) * 0.04, (r(b) - 0.5) * 0.12
    theta = torch.zeros(b, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = sx, sy, tx, ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def save_ckpt(model: OcrModel, out: str, meta: dict, dtype: torch.dtype = torch.float16) -> None:
    """Weights (fp16 by default: each file stays under the device tool's 16 MiB transfer limit) in two files,
    plus JSON metadata."""
    sd = {k: v.detach().to("cpu", dtype) if v.is_floating_point() else v.detach().cpu()
          for k, v in model.state_dict().items()}
    parts = {"ckpt_encoder.pt": {k: v for k, v in sd.items() if not k.startswith("decoder.")},
             "ckpt_decoder.pt": {k: v for k, v in sd.items() if k.startswith("decoder.")}}
    for name, part in parts.items():
        torch.save(part, os.path.join(out, name + ".tmp"))
        os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))
    with open(os.path.join(out, "ckpt_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def load_ckpt(model: OcrModel, path: str) -> dict:
    """Weights from a checkpoint. A checkpoint with fewer tokens (the vocabulary grown since: new characters)
    keeps its rows and the new ones start as the model initialised them; a CTC head of another character set
    starts afresh."""
    sd = {}
    for name in ("ckpt_encoder.pt", "ckpt_decoder.pt"):
        sd.update(torch.load(os.path.join(path, name), map_location="cpu"))
    own = model.state_dict()
    for k, v in list(sd.items()):
        v = v.float() if v.is_floating_point() else v
        if k in own and own[k].shape != v.shape:
            if k == "decoder.embed.weight" and v.shape[0] < own[k].shape[0] and v.shape[1:] == own[k].shape[1:]:
                grown = own[k].clone()
                grown[: v.shape[0]] = v
                v = grown
            else:
                print(f"{k}: checkpoint shape {tuple(v.shape)}, model {tuple(own[k].shape)}: starts afresh", flush=True)
                v = own[k]
        sd[k] = v
    model.load_state_dict(sd)
    with open(os.path.join(path, "ckpt_meta.json")) as f:
        return json.load(f)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--workers", type=int, default=14)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=400)
    ap.add_argument("--ctc-weight", type=float, default=0.3)
    ap.add_argument("--ckpt-every", type=float, default=120.0)
    ap.add_argument("--val-every", type=float, default=60.0)
    ap.add_argument("--val-n", type=int, default=256)
    ap.add_argument("--max-reuse", type=int, default=4, help="replays of a batch while the renderers catch up")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--resume", default=None)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--tiny", action="store_true", help="a small model, for the CPU smoke test")
    ap.add_argument("--real-print", type=float, default=0.0, help="share of lines drawn as real print")
    ap.add_argument("--nontext", type=float, default=0.0, help="share of crops without text (empty target)")
    ap.add_argument("--freeze-cnn", action="store_true",
                    help="train only the transformer layers on top of the convolutional stem (CPU fine-tuning)")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="keep BatchNorm statistics as they are (fine-tuning with small batches)")
    args = ap.parse_args()

    t0 = time.time()
    check_raqm()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    tok = Tokenizer.from_file(os.path.join(args.data, "tokenizer.json"))
    charset = json.load(open(os.path.join(args.data, "charset.json"), encoding="utf-8"))
    cfg = ModelConfig(vocab_size=tok.get_vocab_size(), ctc_vocab=len(charset) + 1)
    if args.tiny:
        cfg.enc_layers, cfg.dec_layers, cfg.d_model, cfg.enc_ffn, cfg.dec_ffn = 1, 1, 64, 128, 128
        cfg.enc_heads = cfg.dec_heads = 2
    model = OcrModel(cfg)
    start_meta = {"step": 0, "samples": 0, "train_seconds": 0.0}
    if args.resume:
        start_meta = load_ckpt(model, args.resume)
        print(f"resumed from {args.resume}: {start_meta.get('step')} steps", flush=True)
    base_step = start_meta.get("step", 0)  # steps are counted across resumed runs
    if args.freeze_cnn:
        for p in model.encoder.cnn.parameters():
            p.requires_grad_(False)
    model.to(dev)
    log = open(os.path.join(args.out, "train.log"), "a")

    def emit(rec: dict) -> None:
        rec["t"] = round(time.time() - t0, 1)
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        log.write(json.dumps(rec, ensure_ascii=False) + "\n")
        log.flush()

    emit({"event": "start", "device": str(dev), "params": count_params(model), "config": cfg.to_dict(),
          "args": vars(args), "gpu": torch.cuda.get_device_name() if dev.type == "cuda" else None})

    # A fixed synthetic validation set, rendered once with its own seed (never the dev set).
    vs = iter(LineStream(args.data, cfg, seed=999_999))
    val = [next(vs) for _ in range(args.val_n)]
    val_x = torch.from_numpy(np.stack([v[0] for v in val])).to(dev)
    val_text = [tok.decode(v[1][1:-1]) for v in val]

    def train_mode() -> None:
        model.train()
        if args.freeze_bn:
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()

    def validate() -> float:
        model.eval()
        preds = []
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            for i in range(0, len(val), 128):
                out = model.greedy(to_input(val_x[i:i + 128], None, False), max_len=MAX_TOKENS)
                for row in out.tolist():
                    row = row[: row.index(cfg.eos_id)] if cfg.eos_id in row else row
                    preds.append(tok.decode(row))
        train_mode()
        return cer(preds, val_text)

    loader = torch.utils.data.DataLoader(
        LineStream(args.data, cfg, seed=args.seed + base_step, real_print=args.real_print,
                   nontext=args.nontext), batch_size=args.batch,
        num_workers=args.workers, collate_fn=lambda b: collate(b, cfg.pad_id), pin_memory=dev.type == "cuda",
        prefetch_factor=4 if args.workers else None, persistent_workers=args.workers > 0)
    q: queue.Queue = queue.Queue(maxsize=6)
    stop = threading.Event()

    def feed():
        for batch in loader:
            if stop.is_set():
                return
            q.put(batch)

    threading.Thread(target=feed, daemon=True).start()

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "pos" in n or "norm" in n else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), fused=dev.type == "cuda")
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)
    budget = args.minutes * 60.0
    t_train = time.time()
    step, fresh, reused = 0, 0, 0
    samples = start_meta.get("samples", 0)
    buffer: list = []
    uses: list[int] = []
    last_ckpt = last_val = last_log = time.time()
    losses: list[float] = []
    ctcs: list[float] = []
    train_mode()
    while True:
        elapsed = time.time() - t_train
        if elapsed >= budget:
            break
        try:
            batch = q.get_nowait()
        except queue.Empty:
            batch = None
            live = [i for i, u in enumerate(uses) if u < args.max_reuse]
            if not live:
                batch = q.get()
        if batch is not None:
            batch = tuple(t.to(dev, non_blocking=True) for t in batch)
            buffer.append(batch)
            uses.append(1)
            if len(buffer) > 32:
                buffer.pop(0)
                uses.pop(0)
            fresh += 1
            samples += batch[0].shape[0]
            imgs, ids, ctc, ctc_len = batch
            x = to_input(imgs, gen, True)
        else:
            j = random.choice(live)
            uses[j] += 1
            reused += 1
            imgs, ids, ctc, ctc_len = buffer[j]
            x = shift(to_input(imgs, gen, True), gen)

        # Learning rate: linear warm-up by steps, cosine by wall-clock progress.
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * elapsed / budget)))
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            logits, ctc_logits = model(x, ids[:, :-1])
        labels = ids[:, 1:].masked_fill(ids[:, 1:] == cfg.pad_id, -100)
        ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1),
                             ignore_index=-100, label_smoothing=0.1)
        if args.ctc_weight > 0:
            lp = ctc_logits.float().log_softmax(-1).transpose(0, 1)  # [T,B,C]
            in_len = torch.full((lp.shape[1],), lp.shape[0], dtype=torch.long, device=dev)
            ctc_loss = F.ctc_loss(lp, ctc, in_len, ctc_len, blank=0, zero_infinity=True)
            loss = ce + args.ctc_weight * ctc_loss
        else:  # fine-tuning without the CTC head: its loss is not computed at all
            ctc_loss, loss = torch.zeros((), device=dev), ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(ce.item() if step % 10 == 0 else losses[-1] if losses else ce.item())
        if step % 10 == 0:
            ctcs.append(ctc_loss.item())
        now = time.time()
        if now - last_log >= 15:
            emit({"event": "train", "step": step, "lr": round(lr, 6), "ce": round(float(np.mean(losses[-50:])), 4),
                  "ctc": round(float(np.mean(ctcs[-5:])) if ctcs else 0.0, 4), "samples": samples,
                  "fresh_batches": fresh, "reused_batches": reused,
                  "samples_per_s": round(samples / max(1e-6, now - t_train), 1)})
            last_log = now
        if now - last_val >= args.val_every:
            emit({"event": "val", "step": step, "synthetic_val_cer": round(validate(), 4)})
            last_val = time.time()
        if now - last_ckpt >= args.ckpt_every:
            save_ckpt(model, args.out, {"step": base_step + step, "data_seed": args.seed + base_step, "samples": samples, "config": cfg.to_dict(),
                                        "train_seconds": start_meta.get("train_seconds", 0.0) + now - t_train})
            last_ckpt = time.time()
    stop.set()
    v = validate()
    meta = {"step": base_step + step, "data_seed": args.seed + base_step, "samples": samples, "config": cfg.to_dict(), "synthetic_val_cer": v,
            "train_seconds": start_meta.get("train_seconds", 0.0) + time.time() - t_train,
            "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"}
    save_ckpt(model, args.out, meta)
    emit({"event": "end", **{k: meta[k] for k in ("step", "samples", "synthetic_val_cer", "train_seconds")},
          "fresh_batches": fresh, "reused_batches": reused})
    os._exit(0)  # do not wait for render workers blocked on a full queue


if __name__ == "__main__":
    main()
