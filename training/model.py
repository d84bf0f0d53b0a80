"""The TrOCR-architecture line recogniser, in plain PyTorch (no transformers dependency, so the same code
trains on the GPU machine, whose transformers version differs, and exports here).

Encoder: a small ResNet-like convolutional stem that collapses the line's height, then transformer layers over
the columns; its output is `last_hidden_state` [batch, columns, d_model]. A CTC head on the encoder output
helps the encoder converge (training only; not exported).
Decoder: a TrOCR/BART-style autoregressive transformer (learned positions, pre-LayerNorm blocks, tied output
projection) with cross-attention to the encoder, and a key/value cache for export in Optimum's layout
(tensors [batch, heads, seq, head_dim]).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    height: int = 48
    width: int = 768
    d_model: int = 256
    enc_layers: int = 4
    enc_heads: int = 4
    enc_ffn: int = 1024
    dec_layers: int = 6
    dec_heads: int = 4
    dec_ffn: int = 1024
    vocab_size: int = 2000
    ctc_vocab: int = 200  # characters + blank (0)
    max_positions: int = 128
    dropout: float = 0.1
    bos_id: int = 0
    pad_id: int = 1
    eos_id: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class BasicBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch)
        self.c2, self.b2 = nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(x + self.b2(self.c2(y)))


def down(cin: int, cout: int, stride) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Encoder(nn.Module):
    """[B,3,48,768] -> [B,96,d]: four stride-2 steps in height (48->3), three in width (768->96)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cnn = nn.Sequential(
            down(3, 32, 2),                      # 24 x 384
            down(32, 64, 2), BasicBlock(64),     # 12 x 192
            down(64, 128, 2), BasicBlock(128),  # 6 x 96
            down(128, 192, (2, 1)), BasicBlock(192),             # 3 x 96
        )
        h = cfg.height // 16
        self.proj = nn.Linear(192 * h, cfg.d_model)
        self.pos = nn.Parameter(torch.zeros(1, cfg.width // 8, cfg.d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.enc_heads, cfg.enc_ffn, cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.enc_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, pixel_values):
        x = self.cnn(pixel_values)                       # [B, C, h, T]
        b, c, h, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(b, t, c * h)   # columns become the sequence
        x = self.proj(x) + self.pos[:, :t]
        return self.norm(self.layers(x))


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.drop = dropout

    def split(self, x):  # [B,S,D] -> [B,H,S,hd]
        b, s, _ = x.shape
        return x.view(b, s, self.h, self.hd).transpose(1, 2)

    def attend(self, q, k, v, causal: bool):
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal, dropout_p=self.drop if self.training else 0.0)
        b, h, s, hd = y.shape
        return self.o(y.transpose(1, 2).reshape(b, s, h * hd))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.self_attn, self.cross_attn = Attention(d, cfg.dec_heads, cfg.dropout), Attention(d, cfg.dec_heads, cfg.dropout)
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, cfg.dec_ffn), nn.GELU(), nn.Linear(cfg.dec_ffn, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, enc_k, enc_v, past_k=None, past_v=None):
        """Returns x and this step's full self-attention keys/values (the cache for the next step)."""
        h = self.n1(x)
        q, k, v = self.self_attn.split(self.self_attn.q(h)), self.self_attn.split(self.self_attn.k(h)), self.self_attn.split(self.self_attn.v(h))
        if past_k is not None:
            k, v = torch.cat([past_k, k], 2), torch.cat([past_v, v], 2)
            # One new token sees every cached one: no mask needed.
            x = x + self.drop(self.self_attn.attend(q, k, v, causal=False))
        else:
            x = x + self.drop(self.self_attn.attend(q, k, v, causal=True))
        h = self.n2(x)
        x = x + self.drop(self.cross_attn.attend(self.cross_attn.split(self.cross_attn.q(h)), enc_k, enc_v, causal=False))
        x = x + self.drop(self.ff(self.n3(x)))
        return x, k, v

    def cross_kv(self, enc):
        return self.cross_attn.split(self.cross_attn.k(enc)), self.cross_attn.split(self.cross_attn.v(enc))


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.max_positions, cfg.d_model)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.scale = math.sqrt(cfg.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def embed_tokens(self, ids, start: int | torch.Tensor = 0):
        pos = torch.arange(ids.shape[1], device=ids.device) + start
        return self.drop(self.embed(ids) * self.scale + self.pos(pos)[None])

    def logits(self, x):
        return F.linear(self.norm(x), self.embed.weight)

    def forward(self, ids, enc):
        """Teacher-forced logits [B,S,V] for the whole sequence."""
        x = self.embed_tokens(ids)
        for layer in self.layers:
            k, v = layer.cross_kv(enc)
            x, _, _ = layer(x, k, v)
        return self.logits(x)


class OcrModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder, self.decoder = Encoder(cfg), Decoder(cfg)
        self.ctc_head = nn.Linear(cfg.d_model, 2 * cfg.ctc_vocab)  # 2 CTC frames per column (96 -> 192)

    def forward(self, pixel_values, ids):
        enc = self.encoder(pixel_values)
        return self.decoder(ids, enc), self.ctc_logits(enc)

    def ctc_logits(self, enc):
        b, t, _ = enc.shape
        return self.ctc_head(enc).view(b, t * 2, self.cfg.ctc_vocab)

    @torch.no_grad()
    def greedy(self, pixel_values, max_len: int = 100):
        """Greedy decoding with the key/value cache (the same computation the ONNX export performs)."""
        enc = self.encoder(pixel_values)
        b = enc.shape[0]
        cross = [layer.cross_kv(enc) for layer in self.decoder.layers]
        ids = torch.full((b, 1), self.cfg.bos_id, dtype=torch.long, device=enc.device)
        past = [None] * len(cross)
        out = ids
        done = torch.zeros(b, dtype=torch.bool, device=enc.device)
        for step in range(max_len):
            x = self.decoder.embed_tokens(ids, step)
            for i, layer in enumerate(self.decoder.layers):
                pk, pv = past[i] if past[i] is not None else (None, None)
                x, k, v = layer(x, cross[i][0], cross[i][1], pk, pv)
                past[i] = (k, v)
            nxt = self.decoder.logits(x)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, self.cfg.pad_id), nxt)
            out = torch.cat([out, nxt[:, None]], 1)
            done |= nxt == self.cfg.eos_id
            ids = nxt[:, None]
            if bool(done.all()):
                break
        return out[:, 1:]


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
