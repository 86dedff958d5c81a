// GET /.well-known/jwks.json: the public keys origins use to verify keygate's signatures. The
// active key first, the previous one second while a rotation settles; never a private part.
import { z } from "@hono/zod-openapi";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { Problem } from "../core/problem.ts";
import { loadSigning } from "./signing.ts";

/** How long origins and caches may keep the key set. Key rotation waits longer than this. */
export const JWKS_MAX_AGE_SECONDS = 300;

const JwkSchema = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().openapi({ description: "The public key, base64url (RFC 8037)" }),
    kid: z.string().openapi({ description: "Matches keyid in Signature-Input", example: "kg-20260101-3f9a1c" }),
    alg: z.literal("EdDSA"),
    use: z.literal("sig"),
  })
  .openapi("SigningJwk");

const JwksSchema = z.object({ keys: z.array(JwkSchema) }).openapi("Jwks");

const jwks = defineRoute("public", {
  operationId: "jwks",
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["Public"],
  summary: "Public keys that verify the signatures on forwarded requests (RFC 9421, Ed25519)",
  description:
    "The active signing key first, the previous one during a rotation. Origins verify `Signature` / `Signature-Input` with the key whose `kid` matches `keyid`. Cacheable for 5 minutes; refetch when a signature names an unknown kid.",
  responses: {
    200: { description: "JWK Set (RFC 7517)", ...jsonContent(JwksSchema) },
    503: { description: "Signing is not configured (SIGNING_KEY missing or invalid)" },
  },
});

export const jwksRoutes: Endpoint[] = [
  endpoint(jwks, async (c) => {
    let keys: JsonWebKey[];
    try {
      keys = (await loadSigning(c.env)).jwks.keys;
    } catch (err) {
      throw new Problem("signing-unavailable", { detail: "Signing is not configured", cause: err instanceof Error ? err.message : String(err) });
    }
    return c.json({ keys: keys as z.infer<typeof JwkSchema>[] }, 200, {
      "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
    });
  }),
];
