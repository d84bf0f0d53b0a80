"""Train the BPE tokenizer on the corpus and save `tokenizer.json`.

BPE (not unigram): merges are deterministic and greedy decoding of a BPE vocabulary is exactly reversible with
the Metaspace decoder, which the Rust `tokenizers` crate reads as is. Every character of the corpus is in the
initial alphabet, so no Hindi text is ever <unk>. 2,000 tokens: large enough that a line is ~2.5x shorter in
tokens than in characters (fewer decoder steps, the CPU cost per line), small enough that each token is seen
thousands of times in a few million synthetic lines.

Special tokens: <s>=0 (decoder start, bos), <pad>=1, </s>=2 (eos), <unk>=3.
Usage: python tokenizer.py CORPUS.txt OUT/tokenizer.json [--vocab 2000]
"""
from __future__ import annotations

import argparse

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--vocab", type=int, default=2000)
    args = ap.parse_args()
    alphabet = sorted(set(open(args.corpus, encoding="utf-8").read()) - {"\n", " "})
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab, special_tokens=SPECIALS, initial_alphabet=alphabet, min_frequency=2,
        show_progress=False,
    )
    tok.train([args.corpus], trainer)
    tok.save(args.out)
    sample = "यह जरूरी है कि मुख्यधारा की पार्टियों, २००४-०५ में 12.5% (LibreOffice)।"
    ids = tok.encode(sample).ids
    assert tok.decode(ids) == sample, (tok.decode(ids), sample)
    print(f"vocab {tok.get_vocab_size()}, alphabet {len(alphabet)}, sample {len(sample)} chars -> {len(ids)} tokens")


if __name__ == "__main__":
    main()
