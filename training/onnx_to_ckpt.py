"""Recover the PyTorch model (`model.OcrModel`) from an fp32 export (`models/hindi-trocr-fp32`).

The training checkpoint is not committed (it stays on the machine that trained it), but the fp32 ONNX export
holds every inference weight, and `torch.onnx.export` keeps enough names to put each one back:

- parameters used as they are (LayerNorm, biases, positions, embeddings, `Gemm` weights) keep their module
  names (`enc.norm.weight`, `dec.layers.0.n1.bias_merged_0`);
- a Linear layer applied to a 3-D input became `MatMul` with an anonymous transposed weight, followed by an
  `Add` of its named bias in the same node scope: the bias names the weight;
- each Conv + BatchNorm pair was folded into one anonymous Conv with a bias: the Convs are taken in graph
  order (the forward order, checked by shape), and each BatchNorm becomes the identity plus that bias
  (running mean 0, running variance 1 - eps, scale 1), which computes the folded convolution exactly;
- the decoder is read from the merged graph's first-step branch, which uses every decoder weight; its output
  projection is tied to the embedding (checked, not loaded twice).
The CTC head (a training aid) is not exported and keeps its initial values.

Used by `benches/compare_pytorch.py` (the same model in PyTorch) and to write a checkpoint that `export.py`
and `train.py --resume` read:

  python training/onnx_to_ckpt.py models/hindi-trocr-fp32 --out training/out/from-onnx [--check-lines DIR]

`--check-lines` reads line images with the recovered model (PyTorch greedy) and with ONNX Runtime on the
export, and fails unless the tokens are the same for every line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, OcrModel  # noqa: E402

CTC_VOCAB = 167  # the shipped run's charset size; the head is not exported, any size loads


def config_from_export(model_dir: str) -> ModelConfig:
    """The `ModelConfig` that `export.py` wrote into config.json."""
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    enc, dec = c["encoder"], c["decoder"]
    if enc.get("model_type") != "hindi-ocr-cnn-transformer":
        raise SystemExit(f"{model_dir}: not an export of training/model.py (encoder {enc.get('model_type')!r})")
    h, w = enc["image_size"]
    return ModelConfig(height=h, width=w, d_model=enc["hidden_size"], enc_layers=enc["num_hidden_layers"],
                       enc_heads=enc["num_attention_heads"], enc_ffn=enc["intermediate_size"],
                       dec_layers=dec["decoder_layers"], dec_heads=dec["decoder_attention_heads"],
                       dec_ffn=dec["decoder_ffn_dim"], vocab_size=dec["vocab_size"], ctc_vocab=CTC_VOCAB,
                       max_positions=dec["max_position_embeddings"], bos_id=c["bos_token_id"],
                       pad_id=c["pad_token_id"], eos_id=c["eos_token_id"])


def module_key(onnx_name: str) -> str:
    """`enc.proj.bias` -> `encoder.proj.bias`; `dec.norm.weight_merged_0` -> `decoder.norm.weight`."""
    name = onnx_name.removesuffix("_merged_0")
    for short, long in (("enc.", "encoder."), ("dec.", "decoder.")):
        if name.startswith(short):
            return long + name[len(short):]
    return name


def graph_weights(graph: onnx.GraphProto, inits: dict[str, onnx.TensorProto]) -> tuple[dict, list, list]:
    """(named parameters, folded convolutions [(weight, bias)] in graph order, MatMul weights without a bias)."""
    arr = lambda n: torch.from_numpy(numpy_helper.to_array(inits[n]).copy())  # noqa: E731
    named = {module_key(n): arr(n) for n in {x for node in graph.node for x in node.input}
             if n in inits and not n.startswith("onnx::")}
    bias_in_scope = {}
    for node in graph.node:
        if node.op_type == "Add":
            for x in node.input:
                if x in inits and not x.startswith("onnx::"):
                    bias_in_scope[node.name.rsplit("/", 1)[0]] = module_key(x)
    convs, unbiased = [], []
    for node in graph.node:
        anon = [x for x in node.input if x in inits and x.startswith("onnx::")]
        if node.op_type == "Conv" and anon:
            convs.append((arr(node.input[1]), arr(node.input[2])))
        elif node.op_type == "MatMul" and anon:
            bias = bias_in_scope.get(node.name.rsplit("/", 1)[0])
            if bias is None:
                unbiased.append(arr(anon[0]).t())
            else:
                stem = bias[: -len("bias")]  # "...linear1." or "...self_attn.in_proj_"
                named[stem + "weight"] = arr(anon[0]).t().contiguous()
    return named, convs, unbiased


def load_from_export(model_dir: str) -> tuple[OcrModel, ModelConfig]:
    cfg = config_from_export(model_dir)
    model = OcrModel(cfg).eval()
    sd = model.state_dict()

    enc = onnx.load(os.path.join(model_dir, "encoder_model.onnx")).graph
    named, convs, _ = graph_weights(enc, {i.name: i for i in enc.initializer})
    dec = onnx.load(os.path.join(model_dir, "decoder_model_merged.onnx")).graph
    (if_node,) = [n for n in dec.node if n.op_type == "If"]
    first = {a.name: a.g for a in if_node.attribute}["else_branch"]  # use_cache_branch false: the first step
    dec_named, _, unbiased = graph_weights(first, {i.name: i for i in dec.initializer})
    named.update(dec_named)

    embed = named["decoder.embed.weight"]
    if len(unbiased) != 1 or not torch.equal(unbiased[0], embed):
        raise SystemExit(f"{model_dir}: expected one output projection tied to the embedding")

    conv_keys = [k for k, v in sd.items() if k.endswith(".weight") and v.dim() == 4]
    if len(conv_keys) != len(convs):
        raise SystemExit(f"{model_dir}: {len(convs)} convolutions in the export, {len(conv_keys)} in the model")
    for key, (w, b) in zip(conv_keys, convs):
        named[key] = w
        bn_name = batchnorm_after(key)
        bn = model.get_submodule(bn_name)
        named[f"{bn_name}.weight"] = torch.ones_like(b)
        named[f"{bn_name}.bias"] = b
        named[f"{bn_name}.running_mean"] = torch.zeros_like(b)
        named[f"{bn_name}.running_var"] = torch.full_like(b, 1.0 - bn.eps)
        named[f"{bn_name}.num_batches_tracked"] = sd[f"{bn_name}.num_batches_tracked"]
    for k in sd:
        if k.startswith("ctc_head."):
            named[k] = sd[k]
    missing = [k for k in sd if k not in named]
    wrong = [k for k in sd if k in named and named[k].shape != sd[k].shape]
    if missing or wrong:
        raise SystemExit(f"{model_dir}: no weight for {missing}, wrong shape for {wrong}")
    model.load_state_dict({k: named[k] for k in sd})
    return model.eval(), cfg


def batchnorm_after(conv_weight_key: str) -> str:
    """The BatchNorm that follows a Conv in model.py: `cnn.0.0` -> `cnn.0.1`, `cnn.2.c1` -> `cnn.2.b1`."""
    head, last = conv_weight_key.removesuffix(".weight").rsplit(".", 1)
    return f"{head}.{int(last) + 1}" if last.isdigit() else f"{head}.b{last[1:]}"


def check_lines(model: OcrModel, cfg: ModelConfig, model_dir: str, lines: list[str]) -> int:
    """Number of line images whose PyTorch greedy tokens equal ONNX Runtime's on the export (both fed the
    export's own preprocessing)."""
    from PIL import Image

    from evaluate import OnnxRecognizer

    rec = OnnxRecognizer(model_dir)
    same = 0
    for p in lines:
        x = rec.preprocess(Image.open(p))
        with torch.no_grad():
            pt = model.greedy(torch.from_numpy(x), max_len=99)[0].tolist()
        pt = pt[: pt.index(cfg.eos_id)] if cfg.eos_id in pt else pt
        same += pt == rec.greedy_ids(x)
    return same


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir", help="an fp32 export of training/model.py, e.g. models/hindi-trocr-fp32")
    ap.add_argument("--out", help="write a checkpoint here (ckpt_encoder.pt, ckpt_decoder.pt, ckpt_meta.json)")
    ap.add_argument("--check-lines", help="a directory of line images to compare PyTorch and ONNX Runtime on")
    args = ap.parse_args()
    model, cfg = load_from_export(args.model_dir)
    print(f"recovered {sum(p.numel() for p in model.parameters()):,} parameters from {args.model_dir}")
    if args.check_lines:
        lines = sorted(os.path.join(args.check_lines, f) for f in os.listdir(args.check_lines) if f.endswith(".png"))
        same = check_lines(model, cfg, args.model_dir, lines)
        print(f"same greedy tokens in PyTorch and ONNX Runtime: {same}/{len(lines)} lines")
        if same != len(lines):
            raise SystemExit("the recovered model differs from the export")
    if args.out:
        from train import save_ckpt

        os.makedirs(args.out, exist_ok=True)
        # fp32: the folded convolution weights are not all representable in fp16.
        save_ckpt(model, args.out, {"step": 0, "samples": 0, "config": cfg.to_dict(),
                                    "recovered_from": os.path.abspath(args.model_dir)}, dtype=torch.float32)
        print(f"checkpoint written to {args.out}")


if __name__ == "__main__":
    main()
