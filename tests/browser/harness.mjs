// Test harness: starts a real `hindi-ocr serve` on a free port with a fresh data directory, launches the
// system Chromium through playwright-core, and provides the ground truth, CER and a two-page PDF.
//
// Environment:
//   HINDI_OCR_BIN   the server binary (default: ../../target/release/hindi-ocr)
//   HINDI_OCR_URL   use an already running server instead of starting one (e.g. http://127.0.0.1:3000)
//   CHROMIUM        the browser (default: /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = path.resolve(here, '..', '..');
/** The public development set (outside the repository; never copied into it). */
export const DEV = path.resolve(REPO, '..', 'shared', 'eval', 'dev');
/** Where the tests save screenshots for the README. */
export const SCREENSHOTS = path.join(REPO, 'docs', 'screenshots');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, logs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`hindi-ocr serve exited with ${child.exitCode}:\n${logs.join('')}`);
    }
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`hindi-ocr serve not ready at ${url} after ${timeoutMs} ms:\n${logs.join('')}`);
}

/** A running server: `{ url, stop() }`. */
export async function startServer() {
  if (process.env.HINDI_OCR_URL) {
    const url = process.env.HINDI_OCR_URL.replace(/\/$/, '');
    await waitForHealth(url, null, [], 10_000);
    return { url, stop: async () => {} };
  }
  const bin = process.env.HINDI_OCR_BIN || path.join(REPO, 'target', 'release', 'hindi-ocr');
  if (!existsSync(bin)) throw new Error(`server binary not found: ${bin} (run: cargo build --release -p hindi-ocr-server)`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hindi-ocr-web-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs = [];
  const child = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    cwd: REPO,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk) => {
    logs.push(chunk.toString());
    if (logs.length > 400) logs.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await waitForHealth(url, child, logs, 120_000);
  return {
    url,
    logs,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([
          new Promise((r) => child.once('exit', r)),
          new Promise((r) => setTimeout(r, 15_000)),
        ]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Chromium with a fresh profile; returns the (only) browser context. */
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'hindi-ocr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
    locale: 'en-GB',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Ground truth of the development pages: `{ 'page_001.png': 'text', ... }` (`\n` unescaped). */
export function groundTruth() {
  const rows = readFileSync(path.join(DEV, 'pages.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  const out = {};
  for (const row of rows) {
    const [file, text] = row.split('\t');
    out[path.basename(file)] = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  }
  return out;
}

/** The normalisation of ../shared/eval/score.py: NFC, whitespace runs to one space, trimmed. */
export const normalise = (s) => s.normalize('NFC').split(/\s+/u).filter(Boolean).join(' ');

/** Character error rate over code points, as score.py computes it. */
export function cer(reference, hypothesis) {
  const a = [...normalise(reference)];
  const b = [...normalise(hypothesis)];
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] / a.length;
}

/**
 * A two-page PDF made from two development page images, printed by Chromium itself, so the test needs no
 * other tool. Each image sits at the page's top left at `dpi` (the engine's default PDF resolution), so
 * rasterising the PDF at that resolution gives back the original pixels. Nothing from the dev set is committed.
 */
export async function makeTwoPagePdf(context, images, dpi = 300) {
  const page = await context.newPage();
  const cssPx = (px) => (px * 96) / dpi; // CSS px are 1/96 inch
  const sizes = images.map((file) => pngSize(readFileSync(file)));
  const w = cssPx(Math.max(...sizes.map((s) => s.width)));
  const h = cssPx(Math.max(...sizes.map((s) => s.height)));
  const imgs = images
    .map((file, i) => `<img src="data:image/png;base64,${readFileSync(file).toString('base64')}"
        width="${cssPx(sizes[i].width)}" height="${cssPx(sizes[i].height)}">`)
    .join('');
  await page.setContent(`<!doctype html><style>
      @page { size: ${w}px ${h}px; margin: 0 }
      html, body { margin: 0 }
      img { display: block; break-after: page; }
    </style>${imgs}`);
  const pdf = await page.pdf({ width: `${w}px`, height: `${h}px`, printBackground: true, pageRanges: '1-2' });
  await page.close();
  return pdf;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf) {
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Makes sure the screenshot folder exists; returns the path of `name`.png in it. */
export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}
