// The rules a key's object applies to the authorization state it holds: which of two views wins,
// and whether a secret may be used now. Shared by admission (key-limiter.ts) and the open
// WebSocket links it keeps (live-sockets.ts).
import type { AuthRefusal, AuthState } from "./protocol.ts";

type Identity = { keyId: string; tenantId: string };

export function stripIdentity(s: AuthState & Partial<Identity>): AuthState {
  return { version: s.version, revokedAt: s.revokedAt, enabled: s.enabled, expiresAt: s.expiresAt, scopes: s.scopes, secrets: s.secrets, rules: s.rules };
}

/** Revocation is permanent: no later state, whatever its version or clock, undoes it. */
export function sticky(current: AuthState | undefined, next: AuthState): AuthState {
  return current?.revokedAt != null && next.revokedAt == null ? { ...next, revokedAt: current.revokedAt } : next;
}

export function refuseAuth(auth: AuthState, hash: string, now: number): AuthRefusal | null {
  if (auth.revokedAt !== null) return "revoked";
  if (!auth.enabled) return "disabled";
  if (!(hash in auth.secrets)) return "unknown-secret";
  const deadline = auth.secrets[hash] ?? null;
  if ((auth.expiresAt !== null && auth.expiresAt <= now) || (deadline !== null && deadline <= now)) return "expired";
  return null;
}
