"""The OCR-D processor `ocrd-hindi-ocr-recognize` with the real OCR-D core on a METS workspace of two dev
pages: page level (own segmentation), then line level on that output's lines (through `ocrd process`); PAGE
XML valid against the 2019-07-15 schema, texts against the CLI."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import hindi_ocr
from conftest import REPO, cli_tsv
from integrations import cer, dev_pages, run, squeeze, tool

PC = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
SCHEMA = REPO.parent / "shared" / "schemas" / "pagecontent-2019-07-15.xsd"
EXE = "ocrd-hindi-ocr-recognize"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    ws = tmp_path_factory.mktemp("ocrd") / "ws"
    ocrd = tool("ocrd")
    run(ocrd, "workspace", "-d", ws, "init")
    pages = dev_pages(2)
    (ws / "OCR-D-IMG").mkdir()
    for n, page in enumerate(pages, 1):
        local = ws / "OCR-D-IMG" / f"page_{n:04d}.png"
        shutil.copy(page, local)
        run(ocrd, "workspace", "-d", ws, "add", "-G", "OCR-D-IMG", "-i", f"OCR-D-IMG_{n:04d}", "-m", "image/png",
            "-g", f"P_{n:04d}", local.relative_to(ws))
    return ws, pages


def page_files(ws: Path, group: str) -> list[Path]:
    files = sorted((ws / group).glob("*.xml"))
    assert files, f"no PAGE files in {group}: {sorted(p.name for p in ws.iterdir())}"
    return files


def validate(path: Path) -> None:
    assert SCHEMA.is_file(), SCHEMA
    proc = run(tool("xmllint"), "--noout", "--nonet", "--schema", SCHEMA, path, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def region_texts(path: Path) -> str:
    root = ET.parse(path).getroot()
    lines = root.iter(f"{PC}TextLine")
    return "\n".join(line.findtext(f"{PC}TextEquiv/{PC}Unicode") or "" for line in lines)


@pytest.fixture(scope="module")
def page_level(workspace) -> list[Path]:
    ws, _ = workspace
    run(tool(EXE), "-m", ws / "mets.xml", "-I", "OCR-D-IMG", "-O", "OCR-D-OCR", "-P", "level", "page")
    return page_files(ws, "OCR-D-OCR")


def test_tool_json_and_version() -> None:
    dumped = json.loads(run(tool(EXE), "--dump-json").stdout)
    assert dumped["executable"] == EXE
    assert set(dumped["parameters"]) == {"level", "text_style"}
    packaged = Path(hindi_ocr.__file__).parent / "ocrd" / "ocrd-tool.json"
    assert json.loads(packaged.read_text(encoding="utf-8"))["version"] == hindi_ocr.__version__
    assert hindi_ocr.__version__ in run(tool(EXE), "--version").stdout


def test_page_level(workspace, page_level: list[Path], cli: Path) -> None:
    ws, pages = workspace
    assert len(page_level) == len(pages)
    expected = cli_tsv(cli, "page", sorted(set(pages)))
    for path, page in zip(page_level, pages):
        validate(path)
        root = ET.parse(path).getroot()
        regions = list(root.iter(f"{PC}TextRegion"))
        lines = list(root.iter(f"{PC}TextLine"))
        words = list(root.iter(f"{PC}Word"))
        assert len(regions) == 1 and lines and len(words) >= len(lines)
        for line in lines:  # each line's text is its words'
            ws_text = " ".join(w.findtext(f"{PC}TextEquiv/{PC}Unicode") or "" for w in line.iter(f"{PC}Word"))
            assert squeeze(ws_text) == squeeze(line.findtext(f"{PC}TextEquiv/{PC}Unicode") or "")
        rate = cer(region_texts(path), expected[str(page)])
        print(f"{page.name}: page level CER {rate:.4%} against the CLI")
        assert rate <= 0.01
        # the image the page came from, and the processing step recorded
        assert root.find(f"{PC}Page").get("imageFilename").startswith("OCR-D-IMG/")
        assert any(i.get("value") == EXE for i in root.iter(f"{PC}MetadataItem"))


def test_line_level_on_the_page_levels_lines(workspace, page_level: list[Path], cli: Path) -> None:
    ws, pages = workspace
    task = f"hindi-ocr-recognize -I OCR-D-OCR -O OCR-D-LINE -P level line"
    run(tool("ocrd"), "process", "-m", ws / "mets.xml", task)
    lines_out = page_files(ws, "OCR-D-LINE")
    expected = cli_tsv(cli, "page", sorted(set(pages)))
    for before, after, page in zip(page_level, lines_out, pages):
        validate(after)
        root = ET.parse(after).getroot()
        # the same lines (coordinates), each read again from its own crop; words dropped
        old = [l.find(f"{PC}Coords").get("points") for l in ET.parse(before).getroot().iter(f"{PC}TextLine")]
        new = [l.find(f"{PC}Coords").get("points") for l in root.iter(f"{PC}TextLine")]
        assert new == old
        assert not list(root.iter(f"{PC}Word"))
        rate = cer(region_texts(after), expected[str(page)])
        print(f"{page.name}: line level CER {rate:.4%} against the CLI's page reading")
        assert rate <= 0.02
