"""Map boxes of a read page back onto the image that was read.

The engine reads a page turned upright (``Page.rotation``, degrees it turned the image clockwise) and
deskewed by a turn about its centre (``Page.skew``, degrees, positive = the text rose to the right); its
boxes, ``width`` and ``height`` are of that upright, straight page. Tools that lay text over the original
image (OCRmyPDF's text layer, PAGE XML for OCR-D) need the image's own pixels.
"""

from __future__ import annotations

import math
from typing import Callable

from ._native import BBox, Page

Point = tuple[float, float]


def to_image_frame(page: Page) -> Callable[[float, float], Point]:
    """A function taking a point of the page as read (``page.width`` x ``page.height``) to the image's pixels."""
    w, h = float(page.width), float(page.height)
    cx, cy = w / 2.0, h / 2.0
    a = math.radians(page.skew)
    cos_a, sin_a = math.cos(a), math.sin(a)
    rotation = page.rotation % 360

    def undo(x: float, y: float) -> Point:
        # Undo the deskew: the straightening turned the page clockwise (as seen) by `skew` about its centre,
        # so turn it back anticlockwise (y grows downwards).
        dx, dy = x - cx, y - cy
        u, v = cx + dx * cos_a + dy * sin_a, cy - dx * sin_a + dy * cos_a
        # Undo the turn: the upright page is the image turned clockwise by `rotation`.
        if rotation == 90:  # image height = upright width
            return v, w - u
        if rotation == 180:
            return w - u, h - v
        if rotation == 270:  # image width = upright height
            return h - v, u
        return u, v

    return undo


def image_size(page: Page) -> tuple[int, int]:
    """The size of the image the page was read from (before turning it upright)."""
    if page.rotation % 180 == 90:
        return page.height, page.width
    return page.width, page.height


def box_polygon(bbox: BBox, undo: Callable[[float, float], Point]) -> list[Point]:
    """A box's four corners (clockwise from the top left, as read) in the image's pixels."""
    x0, y0, x1, y1 = bbox.x, bbox.y, bbox.x + bbox.width, bbox.y + bbox.height
    return [undo(x0, y0), undo(x1, y0), undo(x1, y1), undo(x0, y1)]


def polygon_bounds(points: list[Point], width: int, height: int) -> tuple[float, float, float, float]:
    """The polygon's bounding box (left, top, right, bottom), clipped to a width x height image."""
    xs = [min(max(p[0], 0.0), float(width)) for p in points]
    ys = [min(max(p[1], 0.0), float(height)) for p in points]
    return min(xs), min(ys), max(xs), max(ys)
