// keygate origin verification helper: checks the RFC 9421 signature keygate puts on every request
// it forwards, and the RFC 9530 Content-Digest of the body, then returns the caller's identity.
//
// Self-contained on purpose: copy this one file into your origin. It uses only WebCrypto and the
// Fetch API's Request, so it runs on Node 22+, Cloudflare Workers, Deno and Bun. No dependencies.
// See origin/README.md in the keygate repository for usage and the exact list of checks.
//
//   const identity = await verifyKeygateRequest(request, { jwks });
//   // identity.keyId, identity.tenantId, identity.scopes, ..., identity.body (the bytes, read once)
//
// Anything wrong throws KeygateSignatureError with a stable `reason`; answer it with 401 and do
// not look at the request further.

export type Jwks = { keys: JsonWebKey[] };

/**
 * A JWKS source that can refresh: called with `{}` normally, and once more with `{ unknownKid }`
 * when a signature names a key it did not list (after a rotation). See remoteJwks().
 */
export type JwksProvider = (hint: { unknownKid?: string }) => Promise<Jwks>;

export type VerifyOptions = {
  /** keygate's public keys: the JSON of GET /.well-known/jwks.json, or a provider (remoteJwks). */
  jwks: Jwks | JwksProvider;
  /** The current time in unix seconds (tests); default: the clock. */
  now?: number;
  /** How far in the future `created` may be, for clock skew between keygate and you. Default 60. */
  maxSkewSeconds?: number;
  /**
   * Components the signature must cover, on top of the minimum that is always required:
   * @method @authority @path @query, the five identity headers, content-digest when the request
   * has a body, and x-keygate-job-id and x-keygate-resource when those headers are present.
   */
  requiredComponents?: string[];
  /**
   * The authority (host[:port], lowercase, no default port) keygate was configured to send to,
   * e.g. from your own config. Default: taken from request.url, which behind a proxy or load
   * balancer may not be what keygate signed; pass it explicitly there.
   */
  authority?: string;
  /** The most body the helper reads (default 10 MiB); a larger one fails as "body-too-large". */
  maxBodyBytes?: number;
  /** The signature's label. Default "kg". */
  label?: string;
};

export type KeygateIdentity = {
  keyId: string;
  tenantId: string;
  scopes: string[];
  environment: string;
  requestId: string;
  jobId?: string;
  /**
   * The resource the request was admitted for, on routes that name one (X-Keygate-Resource:
   * `agent=a_1` → `{ type: "agent", id: "a_1" }`): keygate checked the key may use it.
   */
  resource?: { type: string; id: string };
  /**
   * The signature's nonce, unique per forwarded request (keygate always sends one). Remember the
   * nonces you have seen until their signature expires and refuse a repeat: that is replay
   * protection that does not depend on anything a client chooses.
   */
  nonce?: string;
  /** The request body, read once while verifying its digest (empty when there was none). */
  body: ArrayBuffer;
};

export type KeygateSignatureReason =
  | "missing-signature" //     no Signature / Signature-Input, or no member with our label
  | "duplicate-signature" //   our label appears more than once
  | "malformed-signature" //   not a valid Structured Field, or wrong types, or bad parameters
  | "unsupported-alg" //       alg is absent or not "ed25519"
  | "unknown-key" //           keyid is not in the JWKS (e.g. a retired key)
  | "missing-component" //     a required component is not covered by the signature
  | "unsupported-component" // a covered component this helper cannot compute
  | "missing-header" //        a covered header is absent from the request
  | "created-in-future" //     created is later than now + maxSkewSeconds
  | "expired" //               now is past expires
  | "digest-missing" //        a body without a signed content-digest (sha-256)
  | "digest-mismatch" //       the body does not match content-digest
  | "body-too-large" //        more body than maxBodyBytes
  | "bad-signature"; //        the signature does not verify

export class KeygateSignatureError extends Error {
  readonly reason: KeygateSignatureReason;
  constructor(reason: KeygateSignatureReason, message: string) {
    super(`${reason}: ${message}`);
    this.name = "KeygateSignatureError";
    this.reason = reason;
  }
}

export const IDENTITY_HEADERS = [
  "x-keygate-key-id",
  "x-keygate-tenant-id",
  "x-keygate-scopes",
  "x-keygate-environment",
  "x-request-id",
] as const;
const JOB_HEADER = "x-keygate-job-id";
const RESOURCE_HEADER = "x-keygate-resource";
const DERIVED = ["@method", "@authority", "@path", "@query"];
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(request: Request, limit: number): Promise<ArrayBuffer> {
  if (!request.body) return new ArrayBuffer(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      fail("body-too-large", `the body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}
const ED25519 = { name: "Ed25519" } as const;

function fail(reason: KeygateSignatureReason, message: string): never {
  throw new KeygateSignatureError(reason, message);
}

/**
 * Verifies a request forwarded by keygate. Reads the body (once) and returns it with the identity.
 * Throws KeygateSignatureError on any failure.
 */
export async function verifyKeygateRequest(request: Request, opts: VerifyOptions): Promise<KeygateIdentity> {
  const label = opts.label ?? "kg";
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.maxSkewSeconds ?? 60;

  // 1. Exactly one signature with our label, both fields valid Structured Field Dictionaries.
  const inputField = request.headers.get("signature-input");
  const signatureField = request.headers.get("signature");
  if (inputField === null || signatureField === null) fail("missing-signature", "Signature and Signature-Input are required");
  const inputs = parseOrFail(inputField, "Signature-Input");
  const signatures = parseOrFail(signatureField, "Signature");
  if (inputs.duplicates.has(label) || signatures.duplicates.has(label)) fail("duplicate-signature", `more than one signature labelled ${label}`);
  const input = inputs.members.get(label);
  const signature = signatures.members.get(label);
  if (!input || !signature) fail("missing-signature", `no signature labelled ${label}`);
  if (!("items" in input)) fail("malformed-signature", "Signature-Input member is not an Inner List");
  const params = input.params;
  if ("items" in signature || signature.value.type !== "bytes") fail("malformed-signature", "Signature member is not a Byte Sequence");
  const sigBytes = signature.value.value;

  // 2. The covered components: Strings without parameters, each once, header names in lowercase.
  const covered: string[] = [];
  for (const item of input.items) {
    if (item.value.type !== "string") fail("malformed-signature", "a component identifier is not a String");
    if (item.params.size > 0) fail("unsupported-component", "component parameters (;sf ;key ;bs ;req ;tr) are not supported");
    const name = item.value.value;
    if (covered.includes(name)) fail("malformed-signature", `component ${name} is listed twice`);
    if (!name.startsWith("@") && (name !== name.toLowerCase() || !TCHARS.test(name))) {
      fail("malformed-signature", `component ${JSON.stringify(name)} is not a lowercase field name`);
    }
    if (name.startsWith("@") && !DERIVED.includes(name)) fail("unsupported-component", `derived component ${name} is not supported`);
    covered.push(name);
  }

  // 3. Parameters: alg, keyid, created, expires.
  const alg = params.get("alg");
  if (!alg || alg.type !== "string" || alg.value !== "ed25519") fail("unsupported-alg", 'alg must be "ed25519"');
  const keyid = params.get("keyid");
  if (!keyid || keyid.type !== "string") fail("malformed-signature", "keyid must be a String");
  const created = params.get("created");
  const expires = params.get("expires");
  if (!created || created.type !== "integer" || !expires || expires.type !== "integer") {
    fail("malformed-signature", "created and expires must be present Integers");
  }
  if (expires.value <= created.value) fail("malformed-signature", "expires is not after created");
  if (created.value > now + skew) fail("created-in-future", `created ${created.value} is after now (${now}) + ${skew} s`);
  if (now > expires.value) fail("expired", `expired at ${expires.value}, now ${now}`);

  // 4. The key: one of the JWKS's Ed25519 keys, by kid. An unknown kid refreshes a provider once.
  const kid = keyid.value;
  const jwk = await findKey(opts.jwks, kid);
  if (!jwk) fail("unknown-key", `no key ${JSON.stringify(kid)} in the JWKS`);

  // 5. Required components, before the body is read (except content-digest, which needs it).
  const jobPresent = request.headers.has(JOB_HEADER);
  // Present, it is part of the identity: an unsigned one (added after keygate) must not be trusted.
  const resourcePresent = request.headers.has(RESOURCE_HEADER);
  const required = new Set([
    ...DERIVED,
    ...IDENTITY_HEADERS,
    ...(jobPresent ? [JOB_HEADER] : []),
    ...(resourcePresent ? [RESOURCE_HEADER] : []),
    ...(opts.requiredComponents ?? []),
  ]);
  for (const name of required) {
    if (name !== "content-digest" && !covered.includes(name)) fail("missing-component", `the signature does not cover ${name}`);
  }

  // 6. A body needs a signed content-digest: judged from the headers, before reading anything.
  const declaresBody = (request.headers.get("content-length") ?? "0") !== "0" || request.headers.has("transfer-encoding");
  if ((declaresBody || required.has("content-digest")) && !covered.includes("content-digest")) {
    fail("digest-missing", "a request with a body must carry a signed Content-Digest");
  }

  // 7. The signature base (RFC 9421 §2.5), then the signature itself: before the body is read, so
  //    an unsigned request cannot make the origin buffer anything.
  const url = new URL(request.url);
  const lines: string[] = [];
  for (const name of covered) lines.push(`${serializeString(name)}: ${componentValue(request, url, name, opts.authority)}`);
  lines.push(`"@signature-params": ${serializeInnerList(input)}`);
  const base = new TextEncoder().encode(lines.join("\n"));
  const key = await importKey(jwk);
  if (sigBytes.byteLength !== 64 || !(await crypto.subtle.verify(ED25519, key, sigBytes, base))) {
    fail("bad-signature", "the signature does not verify");
  }

  const body = await readBody(request, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  if (body.byteLength > 0 && !covered.includes("content-digest")) {
    fail("digest-missing", "a request with a body must carry a signed Content-Digest");
  }

  // 8. The digest of the body actually received (the signature only vouches for the header).
  if (covered.includes("content-digest")) {
    let digests: Dictionary;
    try {
      digests = parseDictionary(request.headers.get("content-digest") ?? "");
    } catch {
      fail("digest-missing", "Content-Digest is not a valid Dictionary");
    }
    const sha = digests.members.get("sha-256");
    if (!sha || "items" in sha || sha.value.type !== "bytes" || digests.duplicates.has("sha-256")) {
      fail("digest-missing", "Content-Digest has no single sha-256 value");
    }
    const actual = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    if (!bytesEqual(actual, sha.value.value)) fail("digest-mismatch", "the body does not match Content-Digest");
  }

  const header = (name: string) => request.headers.get(name)!.trim();
  const jobId = jobPresent ? header(JOB_HEADER) : undefined;
  const resource = resourcePresent ? parseResource(header(RESOURCE_HEADER)) : undefined;
  const nonceItem = params.get("nonce");
  const nonce = nonceItem?.type === "string" ? nonceItem.value : undefined;
  return {
    keyId: header("x-keygate-key-id"),
    tenantId: header("x-keygate-tenant-id"),
    scopes: header("x-keygate-scopes")
      .split(/[\s,]+/)
      .filter(Boolean),
    environment: header("x-keygate-environment"),
    requestId: header("x-request-id"),
    ...(jobId !== undefined ? { jobId } : {}),
    ...(resource !== undefined ? { resource } : {}),
    ...(typeof nonce === "string" ? { nonce } : {}),
    body,
  };
}

/** `type=id`, split at the first `=` (a type has none; an id has no `=` either). */
function parseResource(value: string): { type: string; id: string } {
  const at = value.indexOf("=");
  if (at <= 0 || at === value.length - 1) fail("malformed-signature", "x-keygate-resource is not type=id");
  return { type: value.slice(0, at), id: value.slice(at + 1) };
}

function componentValue(request: Request, url: URL, name: string, authority: string | undefined): string {
  let value: string;
  switch (name) {
    case "@method":
      value = request.method;
      break;
    case "@authority":
      value = (authority ?? url.host).toLowerCase();
      break;
    case "@path":
      value = url.pathname || "/";
      break;
    case "@query":
      value = url.search === "" ? "?" : url.search;
      break;
    default: {
      const field = request.headers.get(name);
      if (field === null) return fail("missing-header", `covered header ${name} is absent`);
      value = field.trim();
    }
  }
  if (/[\r\n]/.test(value)) fail("malformed-signature", `component ${name} contains a line break`);
  return value;
}

async function findKey(source: Jwks | JwksProvider, kid: string): Promise<JsonWebKey | undefined> {
  const pick = (jwks: Jwks) =>
    (Array.isArray(jwks?.keys) ? jwks.keys : []).find(
      (k) =>
        (k as { kid?: unknown }).kid === kid &&
        k.kty === "OKP" &&
        k.crv === "Ed25519" &&
        typeof k.x === "string" &&
        (k.use === undefined || k.use === "sig") &&
        (k.alg === undefined || k.alg === "EdDSA" || k.alg === "Ed25519"),
    );
  if (typeof source !== "function") return pick(source);
  return pick(await source({})) ?? pick(await source({ unknownKid: kid }));
}

const importedKeys = new Map<string, Promise<CryptoKey>>();

function importKey(jwk: JsonWebKey): Promise<CryptoKey> {
  const x = jwk.x!;
  let key = importedKeys.get(x);
  if (!key) {
    // Only the public parts: whatever else the JWK carries does not reach importKey.
    key = crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, ED25519, false, ["verify"]);
    key.catch(() => importedKeys.delete(x));
    if (importedKeys.size > 32) importedKeys.clear();
    importedKeys.set(x, key);
  }
  return key.catch(() => fail("unknown-key", "the JWKS key is not a valid Ed25519 public key"));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function parseOrFail(field: string, name: string): Dictionary {
  try {
    return parseDictionary(field);
  } catch (err) {
    return fail("malformed-signature", `${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Fetches keygate's JWKS and keeps it for maxAgeSeconds (default 300, the endpoint's max-age); a
 * signature by an unknown kid refetches at once, at most every minRefetchSeconds (default 30), so a
 * rotated key is picked up without waiting and junk kids cannot make you hammer the gateway.
 */
export function remoteJwks(
  url: string,
  opts: { maxAgeSeconds?: number; minRefetchSeconds?: number; fetch?: typeof fetch } = {},
): JwksProvider {
  const maxAge = (opts.maxAgeSeconds ?? 300) * 1000;
  const minRefetch = (opts.minRefetchSeconds ?? 30) * 1000;
  const doFetch = opts.fetch ?? fetch;
  let cached: { jwks: Jwks; at: number } | undefined;
  let inflight: Promise<Jwks> | undefined;
  const load = () =>
    (inflight ??= (async () => {
      try {
        const res = await doFetch(url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new Error(`JWKS ${url}: HTTP ${res.status}`);
        const jwks = (await res.json()) as Jwks;
        if (!Array.isArray(jwks?.keys)) throw new Error(`JWKS ${url}: no "keys" array`);
        cached = { jwks, at: Date.now() };
        return jwks;
      } finally {
        inflight = undefined;
      }
    })());
  return async ({ unknownKid }) => {
    const age = cached ? Date.now() - cached.at : Infinity;
    if (!cached || age > maxAge || (unknownKid !== undefined && age >= minRefetch)) {
      try {
        return await load();
      } catch (err) {
        // A stale copy beats none while the gateway is unreachable; no copy at all is an error.
        if (cached) return cached.jwks;
        throw err;
      }
    }
    return cached.jwks;
  };
}

// ---------------------------------------------------------------------------------------------
// RFC 8941 Structured Field Values: the Dictionary parser (§4.2.2) with Inner Lists, Parameters
// and every bare item type (Integer, Decimal, String, Token, Byte Sequence, Boolean), and the
// serializer for Inner Lists (§4.1.1.1) used to rebuild "@signature-params".

export type BareItem =
  | { type: "integer" | "decimal"; value: number }
  | { type: "string" | "token"; value: string }
  | { type: "bytes"; value: Uint8Array<ArrayBuffer> }
  | { type: "boolean"; value: boolean };
export type Parameters = Map<string, BareItem>;
export type Item = { value: BareItem; params: Parameters };
export type InnerList = { items: Item[]; params: Parameters };
/** Members in order; a key sent twice keeps its last value (RFC 8941) and is listed in duplicates. */
export type Dictionary = { members: Map<string, Item | InnerList>; duplicates: Set<string> };

const TCHARS = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLcAlpha = (c: string | undefined) => c !== undefined && c >= "a" && c <= "z";
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z:/]$/;
const BASE64_CHAR = /^[A-Za-z0-9+/=]$/;

class Parser {
  private i = 0;
  private readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }
  private error(what: string): never {
    throw new Error(`${what} at position ${this.i}`);
  }
  private skipSP() {
    while (this.s[this.i] === " ") this.i++;
  }
  private skipOWS() {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
  }

  dictionary(): Dictionary {
    const members = new Map<string, Item | InnerList>();
    const duplicates = new Set<string>();
    this.skipSP();
    while (this.i < this.s.length) {
      const key = this.key();
      let member: Item | InnerList;
      if (this.peek() === "=") {
        this.i++;
        member = this.itemOrInnerList();
      } else {
        member = { value: { type: "boolean", value: true }, params: this.parameters() };
      }
      if (members.has(key)) duplicates.add(key);
      members.set(key, member);
      this.skipOWS();
      if (this.i >= this.s.length) break;
      if (this.peek() !== ",") this.error("expected ','");
      this.i++;
      this.skipOWS();
      if (this.i >= this.s.length) this.error("trailing ','");
    }
    return { members, duplicates };
  }

  private itemOrInnerList(): Item | InnerList {
    return this.peek() === "(" ? this.innerList() : this.item();
  }

  private innerList(): InnerList {
    this.i++; // "("
    const items: Item[] = [];
    while (this.i < this.s.length) {
      this.skipSP();
      if (this.peek() === ")") {
        this.i++;
        return { items, params: this.parameters() };
      }
      items.push(this.item());
      const c = this.peek();
      if (c !== " " && c !== ")") this.error("expected ' ' or ')' in an Inner List");
    }
    return this.error("unterminated Inner List");
  }

  private item(): Item {
    return { value: this.bareItem(), params: this.parameters() };
  }

  private parameters(): Parameters {
    const params: Parameters = new Map();
    while (this.peek() === ";") {
      this.i++;
      this.skipSP();
      const key = this.key();
      let value: BareItem = { type: "boolean", value: true };
      if (this.peek() === "=") {
        this.i++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  private key(): string {
    const first = this.peek();
    if (!isLcAlpha(first) && first !== "*") this.error("expected a key");
    const start = this.i;
    while (this.i < this.s.length && /[a-z0-9_\-.*]/.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private bareItem(): BareItem {
    const c = this.peek();
    if (c === "-" || isDigit(c)) return this.number();
    if (c === '"') return this.string();
    if (c === "*" || isAlpha(c)) return this.token();
    if (c === ":") return this.bytes();
    if (c === "?") return this.boolean();
    return this.error("expected an Item");
  }

  private number(): BareItem {
    let sign = 1;
    if (this.peek() === "-") {
      sign = -1;
      this.i++;
    }
    if (!isDigit(this.peek())) this.error("expected a digit");
    const start = this.i;
    let decimal = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (isDigit(c)) this.i++;
      else if (c === "." && !decimal) {
        if (this.i - start > 12) this.error("Decimal integer part too long");
        decimal = true;
        this.i++;
      } else break;
      if (!decimal && this.i - start > 15) this.error("Integer too long");
      if (decimal && this.i - start > 16) this.error("Decimal too long");
    }
    const text = this.s.slice(start, this.i);
    if (!decimal) return { type: "integer", value: sign * Number.parseInt(text, 10) };
    if (text.endsWith(".")) this.error("Decimal ends with '.'");
    if (text.length - text.indexOf(".") - 1 > 3) this.error("Decimal has more than 3 fractional digits");
    return { type: "decimal", value: sign * Number.parseFloat(text) };
  }

  private string(): BareItem {
    this.i++; // '"'
    let out = "";
    while (this.i < this.s.length) {
      const c = this.s[this.i++]!;
      if (c === "\\") {
        const next = this.s[this.i++];
        if (next !== '"' && next !== "\\") this.error("bad escape in String");
        out += next;
      } else if (c === '"') {
        return { type: "string", value: out };
      } else if (c < " " || c > "~") {
        this.error("non-printable character in String");
      } else out += c;
    }
    return this.error("unterminated String");
  }

  private token(): BareItem {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && TOKEN_CHAR.test(this.s[this.i]!)) this.i++;
    return { type: "token", value: this.s.slice(start, this.i) };
  }

  private bytes(): BareItem {
    this.i++; // ":"
    const start = this.i;
    while (this.i < this.s.length && this.s[this.i] !== ":") {
      if (!BASE64_CHAR.test(this.s[this.i]!)) this.error("bad character in Byte Sequence");
      this.i++;
    }
    if (this.i >= this.s.length) this.error("unterminated Byte Sequence");
    const b64 = this.s.slice(start, this.i);
    this.i++; // ":"
    if (/=[^=]/.test(b64) || b64.replace(/=+$/, "").length % 4 === 1) this.error("bad base64 in Byte Sequence");
    let bin: string;
    try {
      bin = atob(b64);
    } catch {
      return this.error("bad base64 in Byte Sequence");
    }
    const value = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) value[k] = bin.charCodeAt(k);
    return { type: "bytes", value };
  }

  private boolean(): BareItem {
    this.i++; // "?"
    const c = this.s[this.i++];
    if (c === "1") return { type: "boolean", value: true };
    if (c === "0") return { type: "boolean", value: false };
    return this.error("bad Boolean");
  }

  done(): boolean {
    return this.i >= this.s.length;
  }
}

/** Parses an RFC 8941 Dictionary field value. Throws an Error if it is not one. */
export function parseDictionary(field: string): Dictionary {
  // Field values reach us without leading/trailing whitespace; RFC 8941 strips SP here too.
  const parser = new Parser(field.replace(/^ +| +$/g, ""));
  const dict = parser.dictionary();
  if (!parser.done()) throw new Error("trailing characters");
  return dict;
}

function serializeString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function serializeBareItem(v: BareItem): string {
  switch (v.type) {
    case "integer":
      return String(v.value);
    case "decimal": {
      const rounded = Math.round(v.value * 1000) / 1000;
      return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
    }
    case "string":
      return serializeString(v.value);
    case "token":
      return v.value;
    case "bytes": {
      let bin = "";
      for (const b of v.value) bin += String.fromCharCode(b);
      return `:${btoa(bin)}:`;
    }
    case "boolean":
      return v.value ? "?1" : "?0";
  }
}

function serializeParams(params: Parameters): string {
  let out = "";
  for (const [key, value] of params) {
    out += value.type === "boolean" && value.value ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  }
  return out;
}

function serializeInnerList(list: InnerList): string {
  return `(${list.items.map((it) => serializeBareItem(it.value) + serializeParams(it.params)).join(" ")})${serializeParams(list.params)}`;
}
