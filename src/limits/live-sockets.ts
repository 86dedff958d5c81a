// The key's object holds one hibernatable WebSocket per open client connection: the isolate that
// relays the connection keeps the other end. An isolate cannot hear a revocation by itself, but
// this object is the first to know (the admin API pushes every change here), so it closes the
// link with 4001 or 4003 and the isolate closes the client's socket the same way, at once, idle or
// busy. Hibernation means an idle key's object costs nothing while its sockets stay open; the
// count of links is the count of connections, exact worldwide.
import { grants, isScope } from "../keys/scopes.ts";
import { refuseAuth } from "./auth-state.ts";
import type { AuthRefusal, AuthState } from "./protocol.ts";

/** What a link remembers across hibernation (serializeAttachment). */
export type LiveLink = { hash: string; scope: string | null; route: string; openedAt: number };

/** The isolate's request to open a link: the key's state as it sees it, and the plan's ceiling. */
export type LiveOpen = LiveLink & { keyId: string; tenantId: string; state: AuthState; maxConnections: number };

export type LiveRefusal = { ok: false; reason: AuthRefusal | "scope" | "connections"; limit?: number };

export const LIVE_OPEN_HEADER = "x-keygate-live";

export const CLOSE = { keyInvalid: 4001, scope: 4003, limited: 4029 } as const;

const AUTH_REASONS: Record<AuthRefusal, string> = {
  revoked: "the API key was revoked",
  disabled: "the API key was disabled",
  expired: "the API key expired",
  "unknown-secret": "the API key is no longer valid",
};

/** Why a link may not stay open under `auth`, as a close code and reason; null when it may. */
export function verdictFor(auth: AuthState, link: LiveLink, now: number): { code: number; reason: string } | null {
  const refused = refuseAuth(auth, link.hash, now);
  if (refused) return { code: CLOSE.keyInvalid, reason: AUTH_REASONS[refused] };
  if (link.scope !== null && isScope(link.scope) && !grants(auth.scopes, link.scope)) {
    return { code: CLOSE.scope, reason: `the API key no longer holds the ${link.scope} scope` };
  }
  return null;
}

/** Closes every link `auth` no longer allows; returns how many it closed. */
export function closeDisallowed(ctx: DurableObjectState, auth: AuthState, now = Date.now()): number {
  let closed = 0;
  for (const ws of ctx.getWebSockets()) {
    const link = ws.deserializeAttachment() as LiveLink | null;
    if (!link) continue;
    const verdict = verdictFor(auth, link, now);
    if (!verdict) continue;
    try {
      ws.close(verdict.code, verdict.reason);
    } catch {
      // Already closing: the isolate has gone, nothing to tell it.
    }
    closed++;
  }
  return closed;
}

/** When the next open link's key or secret expires (null: none does). */
export function nextExpiry(ctx: DurableObjectState, auth: AuthState, now = Date.now()): number | null {
  let next: number | null = null;
  for (const ws of ctx.getWebSockets()) {
    const link = ws.deserializeAttachment() as LiveLink | null;
    if (!link) continue;
    for (const at of [auth.expiresAt, auth.secrets[link.hash] ?? null]) {
      if (at !== null && at > now && (next === null || at < next)) next = at;
    }
  }
  return next;
}

/** One alarm serves both the usage flush and expiries: set it earlier, never later. */
export async function alarmNoLaterThan(storage: DurableObjectStorage, at: number | null): Promise<void> {
  if (at === null) return;
  const current = await storage.getAlarm();
  if (current === null || at < current) await storage.setAlarm(at);
}

/** Accepts a link when the key may open one more connection, or says why not. */
export function acceptLink(ctx: DurableObjectState, open: LiveOpen, auth: AuthState, now = Date.now()): Response {
  const refused = refuseAuth(auth, open.hash, now);
  if (refused) return refusal({ ok: false, reason: refused });
  if (open.scope !== null && isScope(open.scope) && !grants(auth.scopes, open.scope)) return refusal({ ok: false, reason: "scope" });
  const live = ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length;
  if (live >= open.maxConnections) return refusal({ ok: false, reason: "connections", limit: open.maxConnections });
  const [isolateEnd, ours] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  ctx.acceptWebSocket(ours);
  const link: LiveLink = { hash: open.hash, scope: open.scope, route: open.route, openedAt: now };
  ours.serializeAttachment(link);
  return new Response(null, { status: 101, webSocket: isolateEnd });
}

function refusal(r: LiveRefusal): Response {
  return Response.json(r, { status: 409 });
}
