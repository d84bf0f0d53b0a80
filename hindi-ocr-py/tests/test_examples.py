"""The Python examples in the README and in docs/PYTHON.md run as written (from the repository root)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _readme_python_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.find("## Python")
    assert start >= 0, "README.md has no '## Python' section"
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end >= 0 else len(readme)]


def _examples() -> list[tuple[str, str]]:
    found = [("README.md", code) for code in FENCE.findall(_readme_python_section())]
    docs = (REPO / "docs" / "PYTHON.md").read_text(encoding="utf-8")
    found += [(f"docs/PYTHON.md #{i + 1}", code) for i, code in enumerate(FENCE.findall(docs))]
    return found


EXAMPLES = _examples()


def test_there_are_examples() -> None:
    assert any(name == "README.md" for name, _ in EXAMPLES)
    assert sum(name.startswith("docs/") for name, _ in EXAMPLES) >= 3


@pytest.mark.parametrize("name,code", EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_example_runs(name: str, code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=600
    )
    assert out.returncode == 0, f"{name} failed:\n{out.stdout}\n{out.stderr}"
    assert out.stdout.strip(), f"{name} printed nothing"
