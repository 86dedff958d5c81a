// Signing forwarded requests: RFC 9421 HTTP Message Signatures with Ed25519, the body bound by an
// RFC 9530 Content-Digest. The gateway holds one private key (the secret SIGNING_KEY, a JWK with a
// "kid"); origins hold only public keys, fetched from /.well-known/jwks.json, which also lists the
// previous key (SIGNING_KEY_PREVIOUS, public only) while a rotation settles.
//
// Plain TypeScript on WebCrypto: it runs in workerd and in Node 22 alike (the Node tests import it).

/** The signature's label in Signature-Input and Signature. */
export const SIGNATURE_LABEL = "kg";
export const SIGNATURE_ALG = "ed25519";

/** Identity headers keygate sets on every forwarded request; all of them are always signed. */
export const IDENTITY_HEADERS = [
  "x-keygate-key-id",
  "x-keygate-tenant-id",
  "x-keygate-scopes",
  "x-keygate-environment",
  "x-request-id",
] as const;

export const JOB_HEADER = "x-keygate-job-id";
/** `<type>=<id>`: the resource a route-table route admitted the request for (route `resource`). */
export const RESOURCE_HEADER = "x-keygate-resource";

/** The covered components of a forwarded request, in the order they are signed. */
export function signedComponents(hasBody: boolean, hasJob: boolean, hasResource = false): readonly string[] {
  return COMPONENTS[Number(hasBody) * 4 + Number(hasJob) * 2 + Number(hasResource)]!;
}

// The eight lists signedComponents can answer, built once: they are signed on every request.
const COMPONENTS = [false, true].flatMap((hasBody) =>
  [false, true].flatMap((hasJob) =>
    [false, true].map((hasResource) =>
      Object.freeze([
        "@method",
        "@authority",
        "@path",
        "@query",
        ...(hasBody ? ["content-digest"] : []),
        ...IDENTITY_HEADERS,
        ...(hasJob ? [JOB_HEADER] : []),
        ...(hasResource ? [RESOURCE_HEADER] : []),
      ]),
    ),
  ),
);

export type SigningVars = { SIGNING_KEY?: string; SIGNING_KEY_PREVIOUS?: string };
export type SigningKey = { kid: string; privateKey: CryptoKey };
export type Signing = { active: SigningKey; jwks: { keys: JsonWebKey[] } };

const ED25519 = { name: "Ed25519" } as const;
const B64URL = /^[A-Za-z0-9_-]+$/;
/** A kid travels as an RFC 8941 String (keyid="…"): printable ASCII. Kept to a safe, short set. */
const KID = /^[A-Za-z0-9._:~+\/=-]{1,128}$/;

let cache: { raw: string; signing: Promise<Signing> } | null = null;
const encoder = new TextEncoder();

/**
 * The active private key and the published JWKS, parsed and checked once per isolate (per value of
 * the two vars). Throws an Error naming what is wrong when SIGNING_KEY is missing or invalid.
 */
export function loadSigning(vars: SigningVars): Promise<Signing> {
  const raw = `${vars.SIGNING_KEY ?? ""}\u0000${vars.SIGNING_KEY_PREVIOUS ?? ""}`;
  if (cache && cache.raw === raw) return cache.signing;
  const signing = buildSigning(vars);
  const entry = { raw, signing };
  cache = entry;
  // A failure is not cached: the next request tries again (and fails again, loudly, until fixed).
  signing.catch(() => {
    if (cache === entry) cache = null;
  });
  return signing;
}

async function buildSigning(vars: SigningVars): Promise<Signing> {
  if (!vars.SIGNING_KEY || vars.SIGNING_KEY.trim() === "") {
    throw new Error("SIGNING_KEY is not set: generate one with `node scripts/gen-signing-key.mjs` and set it as a secret");
  }
  const active = parseJwk(vars.SIGNING_KEY, "SIGNING_KEY");
  if (typeof active.d !== "string" || !B64URL.test(active.d)) {
    throw new Error("SIGNING_KEY must be an Ed25519 private JWK (with \"d\")");
  }
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: active.d, x: active.x }, ED25519, false, ["sign"]);
    publicKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: active.x }, ED25519, false, ["verify"]);
  } catch (err) {
    throw new Error(`SIGNING_KEY could not be imported as an Ed25519 key: ${err instanceof Error ? err.message : String(err)}`);
  }
  // The published "x" must be the public half of "d", or every origin would reject every request.
  const probe = new TextEncoder().encode("keygate signing key self-check");
  const sig = await crypto.subtle.sign(ED25519, privateKey, probe);
  if (!(await crypto.subtle.verify(ED25519, publicKey, sig, probe))) {
    throw new Error("SIGNING_KEY: \"x\" is not the public key of \"d\"");
  }

  const keys: JsonWebKey[] = [publicJwk(active)];
  const previousRaw = vars.SIGNING_KEY_PREVIOUS?.trim();
  if (previousRaw) {
    const previous = parseJwk(previousRaw, "SIGNING_KEY_PREVIOUS");
    if (previous.kid === active.kid && previous.x !== active.x) {
      throw new Error("SIGNING_KEY_PREVIOUS has the kid of SIGNING_KEY but another key");
    }
    // The same key twice (e.g. between two `wrangler secret put`s of a rotation) is published once.
    if (previous.kid !== active.kid) {
      try {
        await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: previous.x }, ED25519, false, ["verify"]);
      } catch (err) {
        throw new Error(`SIGNING_KEY_PREVIOUS is not a valid Ed25519 public key: ${err instanceof Error ? err.message : String(err)}`);
      }
      keys.push(publicJwk(previous));
    }
  }
  return { active: { kid: active.kid, privateKey }, jwks: { keys } };
}

type ParsedJwk = { kid: string; x: string; d?: unknown };

function parseJwk(raw: string, name: string): ParsedJwk {
  let jwk: unknown;
  try {
    jwk = JSON.parse(raw);
  } catch {
    throw new Error(`${name} is not JSON: it must be an Ed25519 JWK, e.g. {"kty":"OKP","crv":"Ed25519","x":"…","kid":"…"}`);
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw new Error(`${name} must be a JWK object`);
  const k = jwk as Record<string, unknown>;
  if (k.kty !== "OKP" || k.crv !== "Ed25519") throw new Error(`${name} must be an Ed25519 JWK (kty "OKP", crv "Ed25519")`);
  if (typeof k.x !== "string" || !B64URL.test(k.x)) throw new Error(`${name} has no valid "x"`);
  if (typeof k.kid !== "string" || !KID.test(k.kid)) throw new Error(`${name} needs a "kid" (1-128 of A-Z a-z 0-9 . _ : ~ + / = -)`);
  return { kid: k.kid, x: k.x, d: k.d };
}

/** Only the public parts, whatever else the configured JWK carried. */
function publicJwk(k: ParsedJwk): JsonWebKey {
  return { kty: "OKP", crv: "Ed25519", x: k.x, kid: k.kid, alg: "EdDSA", use: "sig" } as JsonWebKey;
}

/** RFC 9530 Content-Digest of a complete body: `sha-256=:<base64>:`. */
export async function contentDigest(body: ArrayBuffer | Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", body as ArrayBuffer | ArrayBufferView<ArrayBuffer>);
  return `sha-256=:${base64(new Uint8Array(hash))}:`;
}

export type SignatureHeaders = { "Signature-Input": string; Signature: string };
/** `nonce`: unique per forwarded request, so an origin can refuse a replay within the window. */
export type SignOptions = { created: number; expires: number; components: readonly string[]; nonce?: string };

/** Signs a request per RFC 9421 and returns the two headers to set on it. */
export async function signRequest(
  input: { method: string; url: URL; headers: Headers },
  key: SigningKey,
  opts: SignOptions,
): Promise<SignatureHeaders> {
  const params = signatureParams(opts.components, {
    created: opts.created,
    expires: opts.expires,
    ...(opts.nonce === undefined ? {} : { nonce: opts.nonce }),
    keyid: key.kid,
    alg: SIGNATURE_ALG,
  });
  const base = signatureBase(input, opts.components, params);
  const sig = await crypto.subtle.sign(ED25519, key.privateKey, encoder.encode(base));
  return {
    "Signature-Input": `${SIGNATURE_LABEL}=${params}`,
    Signature: `${SIGNATURE_LABEL}=:${base64(new Uint8Array(sig))}:`,
  };
}

/**
 * The `@signature-params` value (RFC 9421 §2.3): the covered components as an Inner List of
 * Strings, then created, expires, keyid, alg, serialized per RFC 8941 §4.1.
 */
export function signatureParams(
  components: readonly string[],
  p: { created: number; expires: number; keyid: string; alg: string; nonce?: string },
): string {
  if (!Number.isSafeInteger(p.created) || !Number.isSafeInteger(p.expires)) throw new Error("created and expires must be integers (unix seconds)");
  if (p.expires <= p.created) throw new Error("expires must be after created");
  const nonce = p.nonce === undefined ? "" : `;nonce=${sfString(p.nonce)}`;
  return `${serialized(components).innerList};created=${p.created};expires=${p.expires}${nonce};keyid=${sfString(p.keyid)};alg=${sfString(p.alg)}`;
}

type SerializedComponents = { innerList: string; names: string[] };
const serializedLists = new WeakMap<readonly string[], SerializedComponents>();

/** A component list checked and serialized once per list (the forwarded ones are constants). */
function serialized(components: readonly string[]): SerializedComponents {
  let s = serializedLists.get(components);
  if (!s) {
    if (new Set(components).size !== components.length) throw new Error("a component is listed twice");
    const names = components.map(sfString);
    s = { innerList: `(${names.join(" ")})`, names };
    // Only a frozen list is cached: a mutable one could change after being checked.
    if (Object.isFrozen(components)) serializedLists.set(components, s);
  }
  return s;
}

/**
 * The signature base (RFC 9421 §2.5): one `"<component>": <value>` line per covered component, in
 * order, then the `"@signature-params"` line, lines joined by LF with no trailing newline.
 */
export function signatureBase(input: { method: string; url: URL; headers: Headers }, components: readonly string[], params: string): string {
  const { names } = serialized(components);
  let base = "";
  for (let i = 0; i < components.length; i++) base += `${names[i]}: ${componentValue(input, components[i]!)}\n`;
  return `${base}"@signature-params": ${params}`;
}

function componentValue(input: { method: string; url: URL; headers: Headers }, component: string): string {
  const value = rawComponentValue(input, component);
  // A newline in a value would forge a line of the base (RFC 9421 §2.5 requires failing here).
  if (/[\r\n]/.test(value)) throw new Error(`component ${component} contains a line break`);
  return value;
}

function rawComponentValue(input: { method: string; url: URL; headers: Headers }, component: string): string {
  switch (component) {
    case "@method":
      return input.method;
    case "@authority":
      // WHATWG URL.host is lowercased for http(s) and omits the scheme's default port.
      return input.url.host.toLowerCase();
    case "@path":
      return input.url.pathname || "/";
    case "@query":
      return input.url.search === "" ? "?" : input.url.search;
  }
  if (component.startsWith("@")) throw new Error(`unsupported derived component ${component}`);
  if (component !== component.toLowerCase() || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(component)) {
    throw new Error(`component ${JSON.stringify(component)} must be a lowercase header field name`);
  }
  // RFC 9421 §2.1: each field line's value trimmed, repeated lines joined with ", ". Headers
  // already stores values trimmed and get() joins repeated ones that way.
  const value = input.headers.get(component);
  if (value === null) throw new Error(`header ${component} is listed as a signed component but is absent`);
  return value.trim();
}

/** An RFC 8941 String (sf-string): printable ASCII, with `"` and `\` escaped. */
function sfString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`${JSON.stringify(s)} is not printable ASCII`);
  return `"${s.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

// workerd has Uint8Array.prototype.toBase64 (native, one call); Node 22, which imports this file
// in tests and the CLI, does not yet.
const nativeBase64 = (Uint8Array.prototype as { toBase64?: () => string }).toBase64;

function base64(bytes: Uint8Array): string {
  if (nativeBase64) return nativeBase64.call(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
