"""Fetch more Devanagari book faces from the npm registry (Fontsource packages, OFL-1.1) and make TTFs of them.

Fontsource ships each Google Font as per-script subsets (woff); the Devanagari subset has no space or ASCII
glyphs, so its Devanagari and Latin subsets are merged back into one font with fontTools. The fonts are only
rendered from, never redistributed (the data dir stays out of the repository).

Usage: python fetch_fonts.py OUT_DIR   (needs `npm`; writes OUT_DIR/<family>-<weight>.ttf and LICENSES.txt)
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

# Book and newspaper faces; the Tiro families carry the traditional (Sanskrit/Marathi) letter forms.
FAMILIES = {
    "tiro-devanagari-sanskrit": ["400"], "tiro-devanagari-hindi": ["400"], "tiro-devanagari-marathi": ["400"],
    "eczar": ["400", "600"], "martel": ["400", "700"], "sura": ["400"], "hind": ["400", "600"],
    "mukta": ["400", "700"], "halant": ["400"], "karma": ["400"], "yantramanav": ["400"], "rozha-one": ["400"],
    "amiko": ["400"],
}


def woff_to_ttf(src: str, dst: str) -> None:
    from fontTools.ttLib import TTFont

    f = TTFont(src)
    f.flavor = None
    f.save(dst)


def merged(deva: str, latin: str, dst: str) -> None:
    from fontTools.merge import Merger

    font = Merger().merge([deva, latin])
    font.save(dst)


def main() -> None:
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    licences = []
    with tempfile.TemporaryDirectory() as tmp:
        for fam, weights in FAMILIES.items():
            subprocess.run(["npm", "pack", "--silent", f"@fontsource/{fam}"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            tgz = glob.glob(os.path.join(tmp, f"fontsource-{fam}-*.tgz"))[0]
            pkg = os.path.join(tmp, fam)
            with tarfile.open(tgz) as t:
                t.extractall(pkg, filter="data")
            meta = json.load(open(os.path.join(pkg, "package", "package.json")))
            licences.append(f"{fam} {meta.get('version')}: {meta.get('license')}")
            for w in weights:
                files = os.path.join(pkg, "package", "files")
                deva = os.path.join(files, f"{fam}-devanagari-{w}-normal.woff")
                latin = os.path.join(files, f"{fam}-latin-{w}-normal.woff")
                if not os.path.exists(deva):
                    print(f"skip {fam} {w}: no devanagari subset", file=sys.stderr)
                    continue
                a, b = os.path.join(tmp, "a.ttf"), os.path.join(tmp, "b.ttf")
                woff_to_ttf(deva, a)
                dst = os.path.join(out, f"{fam}-{w}.ttf")
                if os.path.exists(latin):
                    woff_to_ttf(latin, b)
                    try:
                        merged(a, b, dst)
                    except Exception as e:  # a merge fontTools cannot do: keep the Devanagari subset alone
                        print(f"{fam} {w}: merge failed ({e}); Devanagari subset only", file=sys.stderr)
                        os.replace(a, dst)
                else:
                    os.replace(a, dst)
                print("font", dst)
    with open(os.path.join(out, "LICENSES.txt"), "w") as f:
        f.write("\n".join(licences) + "\n")


if __name__ == "__main__":
    main()
