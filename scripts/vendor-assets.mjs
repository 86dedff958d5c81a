#!/usr/bin/env node
// Copies the browser libraries the Worker serves under /assets/vendor/ out of node_modules into
// public/assets/vendor/ (git-ignored): the pages load them from the gateway itself, so they work
// offline and under `script-src 'self'`, and the copies always match package-lock.json.
// Runs as `postinstall`, so `npm install` / `npm ci` leave them in place before dev, test or deploy.
// Silent when it succeeds; a file already identical to its source is left untouched.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
export const VENDOR_DIR = path.join(ROOT, "public/assets/vendor");

/** Served path under /assets/vendor/ → source under node_modules/. */
export const VENDORED = {
  // The OpenAPI renderer /docs loads: Scalar's standalone bundle, and its stylesheet as a file
  // (the bundle also injects it as a <style>, which the pages' CSP refuses).
  "scalar/standalone.js": "@scalar/api-reference/dist/browser/standalone.js",
  "scalar/style.css": "@scalar/api-reference/dist/style.css",
  // Charts for the console.
  "uplot/uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
  "uplot/uPlot.min.css": "uplot/dist/uPlot.min.css",
};

/** Copies each file whose copy is missing or differs; returns the served paths it wrote. */
export function vendorAssets({ root = ROOT, into = VENDOR_DIR } = {}) {
  const written = [];
  for (const [target, source] of Object.entries(VENDORED)) {
    const from = path.join(root, "node_modules", source);
    if (!existsSync(from)) throw new Error(`${source} is missing: run npm install`);
    const to = path.join(into, target);
    if (existsSync(to) && statSync(to).size === statSync(from).size && readFileSync(to).equals(readFileSync(from))) continue;
    mkdirSync(path.dirname(to), { recursive: true });
    // Written beside and renamed, so a running `wrangler dev` never serves half a file.
    const partial = `${to}.${process.pid}.partial`;
    writeFileSync(partial, readFileSync(from));
    renameSync(partial, to);
    written.push(target);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    vendorAssets();
  } catch (err) {
    console.error(`vendor-assets: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
