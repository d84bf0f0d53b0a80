"""Export a checkpoint to the engine's model directory (Optimum's ONNX layout for VisionEncoderDecoder).

Writes: encoder_model.onnx (pixel_values -> last_hidden_state), decoder_model_merged.onnx (Optimum's merged
decoder: the first-step graph and the with-past graph under one `use_cache_branch` If node, weights shared;
built with optimum's `merge_decoders` from the two graphs exported here), config.json, generation_config.json,
preprocessor_config.json, tokenizer.json. Then checks that ONNX Runtime greedy tokens equal PyTorch's on
rendered lines.

Usage: python export.py --ckpt DIR --data DIR --out models/hindi-trocr
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, OcrModel  # noqa: E402
from train import load_ckpt  # noqa: E402

OPSET = 17


class EncoderExport(nn.Module):
    def __init__(self, m: OcrModel):
        super().__init__()
        self.enc = m.encoder

    def forward(self, pixel_values):
        return self.enc(pixel_values)


def embed(dec, input_ids, past_key):
    """Token + position embeddings with positions computed by tensor ops, so that the traced graph keeps them
    dynamic (a Python int from `.shape` would be frozen into the graph at the dummy input's length)."""
    pos = torch.cumsum(torch.ones_like(input_ids[0]), 0) - 1
    if past_key is not None:
        pos = pos + torch.ones_like(past_key[0, 0, :, 0], dtype=torch.long).sum()
    return dec.embed(input_ids) * dec.scale + dec.pos(pos)[None]


class DecoderExport(nn.Module):
    """First step: the whole prompt, computes the cross-attention keys/values from the encoder output."""

    def __init__(self, m: OcrModel):
        super().__init__()
        self.dec = m.decoder

    def forward(self, input_ids, encoder_hidden_states):
        x = embed(self.dec, input_ids, None)
        presents = []
        for layer in self.dec.layers:
            ek, ev = layer.cross_kv(encoder_hidden_states)
            x, k, v = layer(x, ek, ev)
            presents += [k, v, ek, ev]
        return (self.dec.logits(x), *presents)


def one_token_attention(attn, x, k, v):
    """Attention of one new token with constant reshapes (batch as -1, sequence 1): the traced graph then has no
    Shape/Gather/Concat plumbing per head split, which is most of a cached step's time in ONNX Runtime."""
    q = attn.q(x).reshape(-1, 1, attn.h, attn.hd).transpose(1, 2) * (attn.hd ** -0.5)
    w = torch.softmax(torch.matmul(q, k.transpose(2, 3)), dim=-1)
    y = torch.matmul(w, v).transpose(1, 2).reshape(-1, 1, attn.h * attn.hd)
    return attn.o(y)


def one_token_layer(layer, x, ek, ev, pk, pv):
    """`DecoderLayer.forward` for one token with a cache, written for a lean export (same weights, same math)."""
    sa = layer.self_attn
    h = layer.n1(x)
    k = torch.cat([pk, sa.k(h).reshape(-1, 1, sa.h, sa.hd).transpose(1, 2)], 2)
    v = torch.cat([pv, sa.v(h).reshape(-1, 1, sa.h, sa.hd).transpose(1, 2)], 2)
    x = x + one_token_attention(sa, h, k, v)
    x = x + one_token_attention(layer.cross_attn, layer.n2(x), ek, ev)
    x = x + layer.ff(layer.n3(x))
    return x, k, v


class DecoderWithPastExport(nn.Module):
    """Later steps: one new token, self-attention cache grows, cross-attention cache is reused as given."""

    def __init__(self, m: OcrModel):
        super().__init__()
        self.dec = m.decoder

    def forward(self, input_ids, encoder_hidden_states, *past):
        x = embed(self.dec, input_ids, past[0])
        presents = []
        for i, layer in enumerate(self.dec.layers):
            pk, pv, ek, ev = past[4 * i: 4 * i + 4]
            x, k, v = one_token_layer(layer, x, ek, ev, pk, pv)
            presents += [k, v]
        # encoder_hidden_states is an input (Optimum's layout) but the cached keys/values make it unused;
        # a zero-weight use keeps it in the graph so both graphs have the same inputs.
        return (self.dec.logits(x) + 0.0 * encoder_hidden_states[:, :1, :1].sum(), *presents)


def quantize(src: str, dst: str) -> None:
    """Dynamic int8 quantization of the MatMul/Gemm weights (activations quantized per call at run time).

    Convolutions stay fp32: ONNX Runtime's ConvInteger path measured slower than fp32 Conv here.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])


def export(model: OcrModel, cfg: ModelConfig, out: str, int8: bool = False) -> None:
    from optimum.onnx.graph_transformations import merge_decoders

    L = cfg.dec_layers
    h, hd = cfg.dec_heads, cfg.d_model // cfg.dec_heads
    px = torch.randn(2, 3, cfg.height, cfg.width)
    with torch.no_grad():
        enc = model.encoder(px)
    T = enc.shape[1]
    tmp = tempfile.mkdtemp()
    enc_path = os.path.join(tmp if int8 else out, "encoder_model.onnx")
    torch.onnx.export(EncoderExport(model).eval(), (px,), enc_path,
                      input_names=["pixel_values"], output_names=["last_hidden_state"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
                      opset_version=OPSET, dynamo=False)
    if int8:
        quantize(enc_path, os.path.join(out, "encoder_model.onnx"))
    ids = torch.tensor([[cfg.bos_id], [cfg.bos_id]])
    pres_names = [f"present.{i}.{w}.{kv}" for i in range(L) for w in ("decoder", "encoder") for kv in ("key", "value")]
    dec_axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
                "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
                "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in pres_names:
        dec_axes[n] = {0: "batch_size", 2: "encoder_sequence_length" if ".encoder." in n else "decoder_sequence_length"}
    # Output order: for layer i decoder.key, decoder.value, encoder.key, encoder.value (as forward returns).
    torch.onnx.export(DecoderExport(model).eval(), (ids, enc), os.path.join(tmp, "decoder_model.onnx"),
                      input_names=["input_ids", "encoder_hidden_states"], output_names=["logits", *pres_names],
                      dynamic_axes=dec_axes, opset_version=OPSET, dynamo=False)
    past = []
    past_names = []
    for i in range(L):
        past += [torch.randn(2, h, 3, hd), torch.randn(2, h, 3, hd), torch.randn(2, h, T, hd), torch.randn(2, h, T, hd)]
        past_names += [f"past_key_values.{i}.decoder.key", f"past_key_values.{i}.decoder.value",
                       f"past_key_values.{i}.encoder.key", f"past_key_values.{i}.encoder.value"]
    wp_out = ["logits"] + [f"present.{i}.decoder.{kv}" for i in range(L) for kv in ("key", "value")]
    wp_axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
               "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
               "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in past_names:
        wp_axes[n] = {0: "batch_size", 2: "encoder_sequence_length" if ".encoder." in n else "past_decoder_sequence_length"}
    for n in wp_out[1:]:
        wp_axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    torch.onnx.export(DecoderWithPastExport(model).eval(), (ids, enc, *past), os.path.join(tmp, "decoder_with_past_model.onnx"),
                      input_names=["input_ids", "encoder_hidden_states", *past_names], output_names=wp_out,
                      dynamic_axes=wp_axes, opset_version=OPSET, dynamo=False)
    first, with_past = os.path.join(tmp, "decoder_model.onnx"), os.path.join(tmp, "decoder_with_past_model.onnx")
    if int8:
        # Quantized before merging: both graphs get identical int8 weights, which the merge then shares.
        for path in (first, with_past):
            quantize(path, path.replace(".onnx", ".int8.onnx"))
        first, with_past = first.replace(".onnx", ".int8.onnx"), with_past.replace(".onnx", ".int8.onnx")
    merge_decoders(first, with_past,
                   save_path=os.path.join(out, "decoder_model_merged.onnx"), strict=False)
    shutil.rmtree(tmp)


def write_configs(cfg: ModelConfig, out: str, max_length: int) -> None:
    dec = {
        "model_type": "trocr", "d_model": cfg.d_model, "decoder_layers": cfg.dec_layers,
        "decoder_attention_heads": cfg.dec_heads, "decoder_ffn_dim": cfg.dec_ffn, "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_positions, "activation_function": "gelu", "layernorm_embedding": False,
        "scale_embedding": True, "use_learned_position_embeddings": True, "tie_word_embeddings": True,
        "bos_token_id": cfg.bos_id, "pad_token_id": cfg.pad_id, "eos_token_id": cfg.eos_id,
        "decoder_start_token_id": cfg.bos_id, "cross_attention_hidden_size": cfg.d_model,
    }
    enc = {
        "model_type": "hindi-ocr-cnn-transformer",
        "architecture": "ResNet-style convolutional stem (height 48 -> 3, width /8) + pre-LN transformer encoder",
        "hidden_size": cfg.d_model, "num_hidden_layers": cfg.enc_layers, "num_attention_heads": cfg.enc_heads,
        "intermediate_size": cfg.enc_ffn, "image_size": [cfg.height, cfg.width], "num_channels": 3,
    }
    config = {
        "architectures": ["VisionEncoderDecoderModel"], "model_type": "vision-encoder-decoder",
        "is_encoder_decoder": True, "tie_word_embeddings": False, "encoder": enc, "decoder": dec,
        "decoder_start_token_id": cfg.bos_id, "pad_token_id": cfg.pad_id, "eos_token_id": cfg.eos_id,
        "bos_token_id": cfg.bos_id,
    }
    gen = {"decoder_start_token_id": cfg.bos_id, "bos_token_id": cfg.bos_id, "eos_token_id": cfg.eos_id,
           "pad_token_id": cfg.pad_id, "max_length": max_length, "num_beams": 1, "early_stopping": False}
    pre = {"image_processor_type": "ViTImageProcessor", "do_resize": True,
           "size": {"height": cfg.height, "width": cfg.width}, "resample": 2, "do_rescale": True,
           "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5],
           "image_std": [0.5, 0.5, 0.5], "do_convert_rgb": True}
    for name, obj in (("config.json", config), ("generation_config.json", gen), ("preprocessor_config.json", pre)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check-n", type=int, default=16)
    ap.add_argument("--int8", action="store_true",
                    help="quantize MatMul weights to int8 (dynamic); the parity check then reports agreement only")
    args = ap.parse_args()
    meta = json.load(open(os.path.join(args.ckpt, "ckpt_meta.json")))
    cfg = ModelConfig(**meta["config"])
    model = OcrModel(cfg)
    load_ckpt(model, args.ckpt)
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    export(model, cfg, args.out, int8=args.int8)
    model.eval()  # exporting a wrapper module restores the wrapper's (training) mode on the model's submodules
    write_configs(cfg, args.out, max_length=100)
    shutil.copy(os.path.join(args.data, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    # Parity: PyTorch greedy (with its own cache) against ONNX Runtime greedy on rendered lines.
    from evaluate import OnnxRecognizer
    from train import LineStream
    rec = OnnxRecognizer(args.out)
    it = iter(LineStream(args.data, cfg, seed=4242))
    same = 0
    for _ in range(args.check_n):
        img, ids, _ = next(it)
        x = (torch.from_numpy(img).float() / 255 - 0.5) / 0.5
        x = x[None, None].expand(1, 3, -1, -1)
        pt = model.greedy(x, max_len=99)[0].tolist()
        pt = pt[: pt.index(cfg.eos_id)] if cfg.eos_id in pt else pt
        ort_ids = rec.greedy_ids(x.numpy())
        same += pt == ort_ids
    print(f"parity: {same}/{args.check_n} lines give identical tokens in PyTorch and ONNX Runtime")
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out)}
    print("sizes MB:", {k: round(v / 1e6, 2) for k, v in sizes.items()}, "total", round(sum(sizes.values()) / 1e6, 1))
    # int8 changes the arithmetic, so its tokens may differ; its bar is dev CER (MODEL_CARD.md), not identity.
    if same != args.check_n and not args.int8:
        raise SystemExit("parity check failed")


if __name__ == "__main__":
    main()
