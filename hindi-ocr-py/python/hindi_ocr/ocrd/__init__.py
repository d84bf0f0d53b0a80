"""OCR-D processor ``ocrd-hindi-ocr-recognize``: Hindi text recognition in OCR-D workflows (METS + PAGE XML).

Installed with ``pip install "hindi-ocr[ocrd]"`` (OCR-D core 3)::

    ocrd-hindi-ocr-recognize -m mets.xml -I OCR-D-IMG -O OCR-D-OCR -P level page
    ocrd-hindi-ocr-recognize -m mets.xml -I OCR-D-SEG-LINE -O OCR-D-OCR -P level line

``level=line`` reads the TextLines the input PAGE already has (each cropped from the page image by its
coordinates, as OCR-D's ``image_from_segment`` does) and writes their ``TextEquiv``; ``level=page`` segments
the page image itself (``Engine.recognize(layout="page")``) and writes a TextRegion with TextLines and Words;
``auto`` (the default) is ``line`` for a page with text lines, else ``page``. See docs/PYTHON.md.

This package imports OCR-D core; ``import hindi_ocr`` does not import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import click
from ocrd import Processor  # type: ignore[import-untyped]
from ocrd.decorators import ocrd_cli_options, ocrd_cli_wrap_processor  # type: ignore[import-untyped]
from ocrd.processor.ocrd_page_result import OcrdPageResult  # type: ignore[import-untyped]
from ocrd_models.ocrd_page import (  # type: ignore[import-untyped]
    CoordsType,
    OcrdPage,
    OrderedGroupType,
    ReadingOrderType,
    RegionRefIndexedType,
    TextEquivType,
    TextLineType,
    TextRegionType,
    WordType,
)
from ocrd_utils import coordinates_for_segment, points_from_polygon  # type: ignore[import-untyped]

from .._frames import Point, box_polygon, image_size, to_image_frame
from .._native import __version__

__all__ = ["HindiOcrRecognize", "cli"]

EXECUTABLE = "ocrd-hindi-ocr-recognize"


def _rgb(image: Any) -> Any:
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def _normalise_angle(angle: float) -> float:
    angle = angle % 360.0
    return angle - 360.0 if angle > 180.0 else angle


class HindiOcrRecognize(Processor):  # type: ignore[misc]
    """Recognise Hindi text lines (line level) or whole pages (page level) with :class:`hindi_ocr.Engine`."""

    @property
    def metadata_location(self) -> Path:  # type: ignore[override]
        return Path(__file__).resolve().parent / "ocrd-tool.json"

    @property
    def executable(self) -> str:  # type: ignore[override]
        return EXECUTABLE

    @property
    def version(self) -> str:  # type: ignore[override]
        return __version__

    def setup(self) -> None:
        from .._engine import Engine

        self.engine = Engine()

    def process_page_pcgts(self, *input_pcgts: Optional[OcrdPage], page_id: Optional[str] = None) -> OcrdPageResult:
        pcgts = input_pcgts[0]
        assert pcgts is not None
        page = pcgts.get_Page()
        level = self.parameter["level"]
        if level == "auto":
            has_lines = any(region.get_TextLine() for region in page.get_AllRegions(classes=["Text"]))
            level = "line" if has_lines else "page"
        page_image, page_coords, _ = self.workspace.image_from_page(page, page_id)
        if level == "line":
            self._read_lines(page, page_image, page_coords, page_id)
        else:
            self._read_page(page, page_image, page_coords, page_id)
        return OcrdPageResult(pcgts)

    # --- line level: the input's own TextLines ------------------------------------------------------------

    def _read_lines(self, page: Any, page_image: Any, page_coords: dict, page_id: Optional[str]) -> None:
        regions = page.get_AllRegions(classes=["Text"], order="reading-order")
        if not any(region.get_TextLine() for region in regions):
            self.logger.warning("page %s has no text lines to read at level=line", page_id)
            return
        for region in regions:
            lines = region.get_TextLine()
            if not lines:
                continue
            region_image, region_coords = self.workspace.image_from_segment(region, page_image, page_coords)
            images, readable = [], []
            for line in lines:
                try:
                    line_image, _ = self.workspace.image_from_segment(line, region_image, region_coords)
                except Exception as e:  # a degenerate polygon: OCR-D cannot crop it
                    self.logger.warning("line %s of page %s cannot be cropped (%s): left without text", line.id, page_id, e)
                    continue
                if line_image.width == 0 or line_image.height == 0:
                    continue
                images.append(_rgb(line_image))
                readable.append(line)
            results = self.engine.recognize_lines(images, text_style=self.parameter["text_style"]) if images else []
            for line, result in zip(readable, results):
                if line.get_Word():
                    self.logger.debug("line %s: its Words are removed (their text would disagree)", line.id)
                    line.set_Word([])
                line.set_TextEquiv([TextEquivType(Unicode=result.text, conf=round(result.confidence, 4))])
            texts = [l.get_TextEquiv()[0].Unicode if l.get_TextEquiv() else "" for l in lines]
            confs = [l.get_TextEquiv()[0].conf for l in lines if l.get_TextEquiv() and l.get_TextEquiv()[0].conf is not None]
            region.set_TextEquiv([TextEquivType(Unicode="\n".join(texts), conf=round(sum(confs) / len(confs), 4) if confs else None)])

    # --- page level: own segmentation --------------------------------------------------------------------

    def _read_page(self, page: Any, page_image: Any, page_coords: dict, page_id: Optional[str]) -> None:
        doc = self.engine.recognize(_rgb(page_image), layout="page", text_style=self.parameter["text_style"])
        read = doc.pages[0]
        if read.error:
            raise RuntimeError(f"page {page_id}: {read.error}")
        if page.get_TextRegion():
            self.logger.info("page %s: replacing %d text regions with hindi-ocr's own", page_id, len(page.get_TextRegion()))
            page.set_TextRegion([])
            page.set_ReadingOrder(None)
        if not read.lines:
            self.logger.warning("page %s: no text found", page_id)
            return
        undo = to_image_frame(read)
        iw, ih = image_size(read)
        sx, sy = page_image.width / iw, page_image.height / ih

        def coords(points: list[Point]) -> CoordsType:
            scaled = [(min(max(x * sx, 0.0), page_image.width - 1.0), min(max(y * sy, 0.0), page_image.height - 1.0)) for x, y in points]
            return CoordsType(points=points_from_polygon(coordinates_for_segment(scaled, page_image, page_coords)))

        rid = "region_0001"
        region_box = _union([line.bbox for line in read.lines])
        region = TextRegionType(id=rid, type_="paragraph", Coords=coords(box_polygon(region_box, undo)))
        # The region was read turned upright and straightened: PAGE's @orientation is the clockwise turn
        # that does this, so OCR-D tools (and level=line later) crop its lines upright.
        angle = _normalise_angle(read.rotation + read.skew)
        if abs(angle) >= 0.01:
            region.set_orientation(round(angle, 3))
        for i, line in enumerate(read.lines, 1):
            lid = f"{rid}_line_{i:04d}"
            tl = TextLineType(id=lid, Coords=coords(box_polygon(line.bbox, undo)))
            for j, word in enumerate(line.words, 1):
                tl.add_Word(
                    WordType(
                        id=f"{lid}_word_{j:04d}",
                        Coords=coords(box_polygon(word.bbox, undo)),
                        TextEquiv=[TextEquivType(Unicode=word.text, conf=round(word.confidence, 4))],
                    )
                )
            tl.set_TextEquiv([TextEquivType(Unicode=line.text, conf=round(line.confidence, 4))])
            region.add_TextLine(tl)
        region.set_TextEquiv([TextEquivType(Unicode=read.text, conf=round(doc.confidence, 4))])
        page.add_TextRegion(region)
        order = OrderedGroupType(id="ro_hindi_ocr", RegionRefIndexed=[RegionRefIndexedType(index=0, regionRef=rid)])
        page.set_ReadingOrder(ReadingOrderType(OrderedGroup=order))


def _union(boxes: list[Any]) -> Any:
    x0 = min(b.x for b in boxes)
    y0 = min(b.y for b in boxes)
    x1 = max(b.x + b.width for b in boxes)
    y1 = max(b.y + b.height for b in boxes)
    return _Box(x0, y0, x1 - x0, y1 - y0)


class _Box:
    def __init__(self, x: int, y: int, width: int, height: int) -> None:
        self.x, self.y, self.width, self.height = x, y, width, height


@click.command()
@ocrd_cli_options
def cli(*args: Any, **kwargs: Any) -> Any:
    """Recognise Hindi text with hindi-ocr (OCR-D processor)."""
    return ocrd_cli_wrap_processor(HindiOcrRecognize, *args, **kwargs)
