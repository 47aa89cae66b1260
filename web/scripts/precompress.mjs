#!/usr/bin/env node
/**
 * Precompress the built web client, run by `npm run build` after `vite build`.
 *
 * For every text asset in dist/ (js, mjs, css, html, svg, json, txt, xml, webmanifest, wasm) of at least
 * MIN_BYTES, writes a brotli sibling `<file>.br` (quality 11, the maximum) and a gzip sibling `<file>.gz`
 * (level 9), and keeps each only when it is smaller than the original. Stale `.br`/`.gz` files from an
 * earlier run are removed first, so every sibling matches the file beside it. The server picks the sibling
 * matching the request's Accept-Encoding; nothing is compressed on the fly. Source maps (*.map) are left
 * alone: they are served only in dev mode.
 *
 * Uses only node:zlib (no dependency). Usage: `node scripts/precompress.mjs [distDir]` (default: ../dist).
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const MIN_BYTES = 1024;
const TEXT_EXT = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt', '.xml', '.webmanifest', '.wasm']);

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.argv[2] ?? path.join(here, '..', 'dist'));

async function* walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

const files = [];
for await (const p of walk(dist)) {
  if (p.endsWith('.br') || p.endsWith('.gz')) await rm(p);
  else files.push(p);
}

let count = 0;
let rawTotal = 0;
let brTotal = 0;
let gzTotal = 0;
for (const file of files) {
  if (!TEXT_EXT.has(path.extname(file).toLowerCase())) continue;
  if ((await stat(file)).size < MIN_BYTES) continue;
  const data = await readFile(file);
  const br = await brotli(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_MODE]: path.extname(file) === '.wasm' ? zlib.constants.BROTLI_MODE_GENERIC : zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gz = await gzip(data, { level: zlib.constants.Z_BEST_COMPRESSION });
  if (br.length < data.length) await writeFile(`${file}.br`, br);
  if (gz.length < data.length) await writeFile(`${file}.gz`, gz);
  count++;
  rawTotal += data.length;
  brTotal += Math.min(br.length, data.length);
  gzTotal += Math.min(gz.length, data.length);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `precompress: ${count} files in ${path.relative(process.cwd(), dist) || '.'}: ${kb(rawTotal)} → br ${kb(brTotal)}, gz ${kb(gzTotal)}`,
);
