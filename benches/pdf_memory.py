#!/usr/bin/env python3
"""Peak memory of `hindi-ocr ocr` on PDFs of growing page count: it should not grow with the page count,
because pages are rasterised, analysed and read one at a time.

Usage: benches/pdf_memory.py [--bin target/release/hindi-ocr] [--pages 1,10,25,50] [--layout page]
Needs Pillow (the project's .venv has it). The PDFs are built from the dev page images (the pages are only
read, never trained on), cycled, one image per PDF page at 300 DPI, so the CLI rasterises them back at full size.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time


REPO = pathlib.Path(__file__).resolve().parent.parent
PAGES = sorted((REPO.parent / "shared" / "eval" / "dev" / "pages").glob("*.png"))


def make_pdf(path: pathlib.Path, n: int) -> None:
    from PIL import Image  # only in the child that builds the PDF

    images = [Image.open(PAGES[i % len(PAGES)]).convert("RGB") for i in range(n)]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=300.0)


def peak_rss_mib(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`; its peak resident set size (MiB, from wait4's rusage), wall seconds and stdout.

    The child is spawned with vfork, so until it execs it shares this process's memory and its ru_maxrss can
    be no lower than this process's size: keep this process small (the PDFs are built by a child process).
    """
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {status}")
    return usage.ru_maxrss / 1024, time.monotonic() - start, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "hindi-ocr"))
    ap.add_argument("--pages", default="1,10,25,50")
    ap.add_argument("--layout", default="page")
    ap.add_argument("--make-pdf", nargs=2, metavar=("PAGES", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_pdf:
        make_pdf(pathlib.Path(args.make_pdf[1]), int(args.make_pdf[0]))
        return
    if not PAGES:
        raise SystemExit("no dev pages found under ../shared/eval/dev/pages")
    print("| pages | PDF size | peak RSS | wall time | lines read |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.pages.split(",")]:
            pdf = pathlib.Path(tmp) / f"pages{n}.pdf"
            subprocess.run([sys.executable, __file__, "--make-pdf", str(n), str(pdf)], check=True)
            rss, wall, out = peak_rss_mib([args.bin, "ocr", "--layout", args.layout, "--format", "text", str(pdf)])
            lines = sum(1 for line in out.splitlines() if line.strip())
            size = pdf.stat().st_size / 2**20
            print(f"| {n} | {size:.1f} MiB | {rss:.0f} MiB | {wall:.0f} s | {lines} |", flush=True)


if __name__ == "__main__":
    main()
