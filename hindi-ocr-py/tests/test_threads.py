"""One Engine shared by threads: results equal the single-threaded ones, and the GIL is released."""

from __future__ import annotations

import pathlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import hindi_ocr
from conftest import LineSet


def test_eight_threads_match_single_thread(engine: hindi_ocr.Engine, lines20: LineSet) -> None:
    paths = lines20.paths[:8]
    expected = {p: engine.recognize_line(p).text for p in paths}
    barrier = threading.Barrier(8)

    def work(offset: int) -> dict[pathlib.Path, str]:
        # Each thread starts at a different line, so different lines run at the same time.
        order = paths[offset:] + paths[:offset]
        barrier.wait()
        return {p: engine.recognize_line(p).text for p in order}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, [i % len(paths) for i in range(8)]))
    assert len(results) == 8
    for got in results:
        assert got == expected


def test_threads_share_documents(engine: hindi_ocr.Engine, sample_page: pathlib.Path) -> None:
    expected = engine.recognize(sample_page).to_json()
    with ThreadPoolExecutor(max_workers=4) as pool:
        jsons = list(pool.map(lambda _: engine.recognize(sample_page).to_json(), range(4)))
    # processing times differ run to run; everything else must not
    strip = lambda s: "\n".join(l for l in s.splitlines() if "processingTimeMs" not in l)  # noqa: E731
    assert all(strip(j) == strip(expected) for j in jsons)


def test_gil_is_released_during_inference(engine: hindi_ocr.Engine, lines20: LineSet) -> None:
    """While one thread runs inference, Python code in another thread keeps running."""
    done = threading.Event()
    elapsed: list[float] = []

    def infer() -> None:
        t0 = time.perf_counter()
        engine.recognize_lines(lines20.paths * 2)
        elapsed.append(time.perf_counter() - t0)
        done.set()

    worker = threading.Thread(target=infer)
    ticks = 0
    longest_gap = 0.0
    worker.start()
    last = time.perf_counter()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
        ticks += 1
    worker.join()
    # Holding the GIL would freeze this loop for the whole call; released, it never waits long.
    assert elapsed[0] > 0.05
    assert longest_gap < elapsed[0] / 2, (longest_gap, elapsed[0], ticks)
