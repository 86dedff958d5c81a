#!/usr/bin/env node
// A fresh Ed25519 signing key for keygate's forwarded-request signatures (RFC 9421), as a JWK with
// a kid like kg-20260315-a1b2c3. Node 22 WebCrypto, no dependencies.
//
//   node scripts/gen-signing-key.mjs
//       prints SIGNING_KEY='{"kty":"OKP",...}' (a .dev.vars line) and the public JWK as a comment
//   node scripts/gen-signing-key.mjs --dev-vars .dev.vars
//       writes SIGNING_KEY into .dev.vars (mode 0600); an existing SIGNING_KEY is kept
//   node scripts/gen-signing-key.mjs --dev-vars .dev.vars --rotate
//       a new SIGNING_KEY; the old key's public half becomes SIGNING_KEY_PREVIOUS
//   node scripts/gen-signing-key.mjs --json | npx wrangler secret put SIGNING_KEY
//       just the private JWK, for a first deploy
//   node scripts/gen-signing-key.mjs --rotate-from https://gw.example.com/.well-known/jwks.json | npx wrangler secret bulk
//       production rotation in one deploy: {"SIGNING_KEY": <new>, "SIGNING_KEY_PREVIOUS": <current public key>}
//       (--rotate-from also takes a file holding the JWKS or the current public JWK)
//
// The private key is printed or written, never logged elsewhere; keep it out of shell history and
// version control (.dev.vars is git-ignored). See SECURITY.md, "Signed requests".
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * @typedef {{ kty: string; crv: string; x: string; kid: string; alg?: string; use?: string; d?: string }} SigningJwk
 */

/**
 * A new key pair; the kid carries the UTC date and 6 random hex digits.
 * @param {Date} [now]
 * @returns {Promise<{ kid: string; privateJwk: SigningJwk; publicJwk: SigningJwk }>}
 */
export async function generateSigningKey(now = new Date()) {
  const pair = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]));
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const date = now.toISOString().slice(0, 10).replaceAll("-", "");
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
  const kid = `kg-${date}-${rand}`;
  const privateJwk = { kty: "OKP", crv: "Ed25519", d: String(jwk.d), x: String(jwk.x), kid };
  return { kid, privateJwk, publicJwk: publicOf(privateJwk) };
}

/**
 * One `SIGNING_KEY='{…}'` line with a fresh private JWK, for .dev.vars (npm run dev uses it).
 * @returns {Promise<string>}
 */
export async function devVarsLine() {
  const { privateJwk } = await generateSigningKey();
  return `SIGNING_KEY='${JSON.stringify(privateJwk)}'`;
}

/**
 * The public half of a JWK, as /.well-known/jwks.json publishes it.
 * @param {SigningJwk} jwk
 * @returns {SigningJwk}
 */
export function publicOf(jwk) {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || typeof jwk.kid !== "string") {
    throw new Error("not an Ed25519 JWK with a kid");
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: jwk.kid, alg: "EdDSA", use: "sig" };
}

/**
 * The value of NAME=... in a .dev.vars text, unquoted, or undefined.
 * @param {string} text
 * @param {string} name
 */
function devVar(text, name) {
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/);
    if (m && m[1] === name) {
      const v = (m[2] ?? "").trim();
      return /^'.*'$|^".*"$/.test(v) ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

/**
 * The text with NAME='value' replaced, or appended.
 * @param {string} text
 * @param {string} name
 * @param {string} value
 */
function setDevVar(text, name, value) {
  const line = `${name}='${value}'`;
  const re = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=.*$`, "m");
  if (re.test(text)) return text.replace(re, () => line);
  return `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`;
}

/**
 * The current public key from a JWKS URL, a JWKS file or a JWK file: the first (active) key.
 * @param {string} source
 * @returns {Promise<SigningJwk>}
 */
async function currentPublicKey(source) {
  let doc;
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
    doc = await res.json();
  } else {
    doc = JSON.parse(readFileSync(source, "utf8"));
  }
  const jwk = Array.isArray(doc?.keys) ? doc.keys[0] : doc;
  if (!jwk) throw new Error(`${source}: no key found`);
  return publicOf(jwk);
}

/** @param {string[]} argv */
async function main(argv) {
  /** @param {string} name */
  const option = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(["--dev-vars", "--rotate", "--json", "--rotate-from", "--help", "-h"]);
  const unknown = argv.filter((a, i) => a.startsWith("-") && !known.has(a) && !["--dev-vars", "--rotate-from"].includes(argv[i - 1] ?? ""));
  if (argv.includes("--help") || argv.includes("-h") || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`unknown option ${unknown.join(" ")}\n`);
    process.stderr.write(
      "usage: node scripts/gen-signing-key.mjs [--json | --dev-vars FILE [--rotate] | --rotate-from JWKS_URL_OR_FILE]\n",
    );
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  const { kid, privateJwk, publicJwk } = await generateSigningKey();
  const privateJson = JSON.stringify(privateJwk);
  const publicJson = JSON.stringify(publicJwk);

  if (argv.includes("--json")) {
    process.stdout.write(`${privateJson}\n`);
    process.stderr.write(`new signing key ${kid}; public JWK: ${publicJson}\n`);
    return;
  }

  const rotateFrom = option("--rotate-from");
  if (rotateFrom !== undefined) {
    const previous = await currentPublicKey(rotateFrom);
    if (previous.kid === kid) throw new Error("the current key has the same kid; try again");
    process.stdout.write(`${JSON.stringify({ SIGNING_KEY: privateJson, SIGNING_KEY_PREVIOUS: JSON.stringify(previous) })}\n`);
    process.stderr.write(
      `new signing key ${kid}; ${previous.kid} becomes SIGNING_KEY_PREVIOUS. Public JWK of the new key: ${publicJson}\n` +
        "After the deploy has rolled out, wait longer than the JWKS max-age (300 s) plus the signature lifetime, then:\n" +
        "  npx wrangler secret delete SIGNING_KEY_PREVIOUS\n",
    );
    return;
  }

  const devVars = option("--dev-vars");
  if (devVars !== undefined) {
    let text = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
    const existing = devVar(text, "SIGNING_KEY");
    if (existing && !argv.includes("--rotate")) {
      let existingKid = "?";
      try {
        existingKid = JSON.parse(existing).kid;
      } catch {}
      process.stderr.write(`${devVars} already has SIGNING_KEY (kid ${existingKid}); left unchanged (use --rotate to replace it)\n`);
      return;
    }
    if (existing) {
      const previous = publicOf(JSON.parse(existing));
      text = setDevVar(text, "SIGNING_KEY_PREVIOUS", JSON.stringify(previous));
      process.stderr.write(`${previous.kid} moved to SIGNING_KEY_PREVIOUS (public half only)\n`);
    }
    text = setDevVar(text, "SIGNING_KEY", privateJson);
    writeFileSync(devVars, text, { mode: 0o600 });
    chmodSync(devVars, 0o600);
    process.stderr.write(`wrote SIGNING_KEY (kid ${kid}) to ${devVars}\npublic JWK: ${publicJson}\n`);
    return;
  }

  process.stdout.write(
    `# keygate signing key ${kid}: the private key. Keep it secret (.dev.vars, or: npx wrangler secret put SIGNING_KEY).\n` +
      `SIGNING_KEY='${privateJson}'\n` +
      `# Its public JWK, as GET /.well-known/jwks.json will publish it:\n` +
      `# ${publicJson}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`gen-signing-key: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
