"""Shared helpers of the OCRmyPDF and OCR-D tests: the dev pages, character error rate, external programs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA, DEV_SET

# One edit distance for the project: training/metrics.py (no heavy imports).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
from metrics import edit_distance  # noqa: E402


def dev_pages(count: int) -> list[Path]:
    """The first `count` development pages (../shared/eval/dev/pages), else the committed sample page."""
    pages = sorted((DEV_SET / "pages").glob("page_*.png"))
    return pages[:count] if pages else [DATA / "page.png"] * count


def squeeze(text: str) -> str:
    """Whitespace collapsed: a PDF text layer or a PAGE file keeps words and lines, not the exact spacing."""
    return re.sub(r"\s+", " ", text).strip()


def cer(hyp: str, ref: str) -> float:
    """Character error rate of `hyp` against `ref`, whitespace squeezed."""
    hyp, ref = squeeze(hyp), squeeze(ref)
    return edit_distance(hyp, ref) / max(1, len(ref))


def tool(name: str) -> str:
    """An external program the tests need: in this venv's bin, else on PATH. Missing is a failure, not a skip
    (`make test-py` installs them)."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    assert found, f"{name} not found: `make test-py` installs it (Debian package or the test extra)"
    return found


def run(*args: str | Path, check: bool = True, timeout: float = 900, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a program with this venv's bin first on PATH (`ocrd process` finds processors there)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, encoding="utf-8", timeout=timeout, cwd=cwd, env=env
    )
    if check and proc.returncode:
        raise AssertionError(f"{' '.join(map(str, args))}: exit code {proc.returncode}\n{proc.stderr[-4000:]}")
    return proc
