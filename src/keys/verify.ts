// Verification of a presented key, in the order that costs least first: shape and checksum
// (offline), then lookup (memory → KV → D1), then the key's state, then its tenant's.
import type { Stores } from "../db/client.ts";
import { Problem } from "../core/problem.ts";
import { parseKey } from "./format.ts";
import { hashKey, sameDigest } from "./hash.ts";
import { findKey, findTenant } from "./lookup.ts";
import type { Operator } from "../people/operator.ts";
import type { KeySnapshot, TenantSnapshot } from "./snapshot.ts";

/**
 * Who is calling: a key, or a person (an operator signed in through Access) acting through a key
 * snapshot made for the request from its role, so every route reads one shape.
 */
export type Principal = { key: KeySnapshot; tenant: TenantSnapshot; operator?: Operator };

/** A real key refused for its own state or its tenant's: analytics and the audit log name the key. */
export class KeyRefused extends Problem {
  readonly key: KeySnapshot;
  constructor(kind: "revoked-key" | "disabled-key" | "expired-key" | "tenant-inactive", detail: string, key: KeySnapshot) {
    super(kind, { detail, cause: JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId }) });
    this.key = key;
  }
}

type Defer = (promise: Promise<unknown>) => void;

// One message for the causes a guesser could learn from; the log keeps the real one.
const INVALID_DETAIL = "The API key is not valid.";

/**
 * The checks answer as they are when the key and its tenant are in this isolate's memory (most
 * requests: no promise, no await), and as a promise when a store must be read. A refusal is
 * thrown either way.
 */
export function verifyKey(stores: Stores, defer: Defer, presented: string, now = Date.now()): Principal | Promise<Principal> {
  if (!parseKey(presented)) {
    throw new Problem("malformed-key", {
      detail: "The API key is not in keygate's format (kg_live_... or kg_test_...) or its checksum is wrong.",
      cause: "format_or_checksum",
    });
  }
  return verifyHashed(stores, defer, hashKey(presented), now);
}

/** The same checks for a key known by its hash (a console session holds the hash, never the key). */
export function verifyHashed(stores: Stores, defer: Defer, hash: string, now = Date.now()): Principal | Promise<Principal> {
  const key = findKey(stores, defer, hash);
  return key instanceof Promise ? key.then((found) => checkKey(stores, defer, hash, found, now)) : checkKey(stores, defer, hash, key, now);
}

function checkKey(stores: Stores, defer: Defer, hash: string, key: KeySnapshot | null, now: number): Principal | Promise<Principal> {
  if (!key || !sameDigest(key.hash, hash)) {
    throw new Problem("unknown-key", { detail: INVALID_DETAIL, cause: "unknown" });
  }
  // From here on the caller holds a real secret, so naming the state leaks nothing to a guesser.
  if (key.revokedAt !== null) throw new KeyRefused("revoked-key", "The API key has been revoked.", key);
  if (!key.enabled) throw new KeyRefused("disabled-key", "The API key is disabled.", key);
  if ((key.expiresAt !== null && key.expiresAt <= now) || (key.secretExpiresAt !== null && key.secretExpiresAt <= now)) {
    const rolled = key.secretExpiresAt !== null && key.secretExpiresAt <= now;
    throw new KeyRefused("expired-key", rolled ? "The API key was rolled and its grace period has ended." : "The API key has expired.", key);
  }
  const tenant = findTenant(stores, defer, key.tenantId);
  return tenant instanceof Promise ? tenant.then((found) => checkTenant(key, found)) : checkTenant(key, tenant);
}

function checkTenant(key: KeySnapshot, tenant: TenantSnapshot | null): Principal {
  if (!tenant || !tenant.active) {
    throw new KeyRefused("tenant-inactive", "The tenant that owns this API key is not active.", key);
  }
  return { key, tenant };
}
