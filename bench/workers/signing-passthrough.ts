// Scenario (a+s): the bare pass-through plus what issue 4 requires of every forwarded request and
// nothing else: read the body, digest it (RFC 9530), sign method, authority, path, query, digest
// and identity headers with Ed25519 (RFC 9421, keygate's own signing module), forward. No key, no
// limiter, no logging, no header hygiene. It is the floor for any gateway that signs each request
// on this machine, so keygate's hot path is reported against it as well as against (a).
import { contentDigest, loadSigning, signedComponents, signRequest } from "../../src/proxy/signing.ts";

type Env = { ORIGIN_URL: string; ORIGIN: { fetch: typeof fetch }; SIGNING_KEY: string };

const IDENTITY = {
  "x-keygate-key-id": "key_bench",
  "x-keygate-tenant-id": "ten_bench",
  "x-keygate-scopes": "query:read",
  "x-keygate-environment": "live",
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const incoming = new URL(request.url);
    const url = new URL(incoming.pathname + incoming.search, env.ORIGIN_URL);
    const body = request.body === null ? null : await request.arrayBuffer();
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(IDENTITY)) headers.set(name, value);
    headers.set("x-request-id", crypto.randomUUID());
    if (body) headers.set("content-digest", await contentDigest(body));
    const { active } = await loadSigning(env);
    const created = Math.floor(Date.now() / 1000);
    const signature = await signRequest({ method: request.method, url, headers }, active, {
      created,
      expires: created + 60,
      nonce: crypto.randomUUID(),
      components: signedComponents(body !== null, false),
    });
    headers.set("signature-input", signature["Signature-Input"]);
    headers.set("signature", signature.Signature);
    return env.ORIGIN.fetch(new Request(url, { method: request.method, headers, body }));
  },
};
