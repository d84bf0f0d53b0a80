// A photo of a page taken at an angle was read straightened: the server found the page's four corners
// (`page.quad`, in the photo's pixels), warped them to a rectangle, turned it by `rotation` and measured its
// `skew`; the line boxes are in that frame. This computes the CSS transform that does the same to the photo
// as uploaded, so the boxes lie on its words.

/** The 3x3 homography (row-major, last entry 1) taking the four points `from` to the four points `to`. */
export function homography(from, to) {
  // Eight equations in a..h: x' (g x + h y + 1) = a x + b y + c, and the same for y'.
  const rows = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i];
    const [u, v] = to[i];
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r][col]) > Math.abs(rows[pivot][col])) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot], rows[col]];
    const p = rows[col][col];
    if (Math.abs(p) < 1e-12) return null;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = rows[r][col] / p;
      for (let c = col; c < 9; c++) rows[r][c] -= f * rows[col][c];
    }
  }
  const h = rows.map((row, i) => row[8] / row[i]);
  return [...h, 1];
}

/** Row-major 3x3 product a * b. */
function multiply(a, b) {
  const out = [];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out.push(a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c]);
  }
  return out;
}

/**
 * The CSS `matrix3d(...)` that draws the photo (at its natural size, transform origin 0 0) so that the
 * straightened, turned and deskewed page fills a frame `frameWidth` px wide, as the boxes are drawn.
 */
export function photoTransform(page, frameWidth) {
  const q = page.quad;
  const turn = Number(page.rotation) || 0;
  // The straightened page's size before the turn: the page's own, sides swapped for a quarter turn.
  const [rw, rh] = turn % 180 === 90 ? [page.height, page.width] : [page.width, page.height];
  const rect = [[0, 0], [rw, 0], [rw, rh], [0, rh]];
  // Turned clockwise by `rotation`: where each corner of the straightened page lands.
  const turned = rect.map(([x, y]) => {
    if (turn === 90) return [rh - y, x];
    if (turn === 180) return [rw - x, rh - y];
    if (turn === 270) return [y, rw - x];
    return [x, y];
  });
  const toPage = homography(q, turned);
  if (!toPage) return '';
  // Deskew: the boxes' frame is the page rotated by `skew` degrees (clockwise on screen) about its centre.
  const a = ((Number(page.skew) || 0) * Math.PI) / 180;
  const [cx, cy] = [page.width / 2, page.height / 2];
  const [cos, sin] = [Math.cos(a), Math.sin(a)];
  const rotate = [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0, 0, 1];
  const s = frameWidth / page.width;
  const m = multiply([s, 0, 0, 0, s, 0, 0, 0, 1], multiply(rotate, toPage));
  return `matrix3d(${[m[0], m[3], 0, m[6], m[1], m[4], 0, m[7], 0, 0, 1, 0, m[2], m[5], 0, m[8]].join(',')})`;
}
