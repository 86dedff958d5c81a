// The key's own access rules, decided where its scopes are: from a lease in the isolate (at most
// LEASE_MS old) and in the key's object (authoritative). The stages check the cached copy first,
// for a refusal that costs nothing; this is what makes a change hold everywhere within a lease.
import { networkVerdict, resourceAllowed, type KeyRules, type ResourceRef } from "../keys/access-rules.ts";
import type { AcquireResult } from "./protocol.ts";

export type Where = { ip?: string | null; resource?: ResourceRef | null };

export function refuseByRules(rules: KeyRules | undefined, where: Where): Extract<AcquireResult, { reason: "ip" | "resource" }> | null {
  if (!rules) return null;
  const verdict = networkVerdict(where.ip, [rules]);
  if (verdict !== "ok") return { ok: false, reason: "ip", verdict };
  if (where.resource && !resourceAllowed(rules.resources, where.resource)) return { ok: false, reason: "resource", type: where.resource.type };
  return null;
}
