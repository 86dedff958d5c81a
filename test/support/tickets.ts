// WebSocket tickets in the Worker's tests: a key with the realtime scope, a ticket minted for it,
// and the upgrade opened with that ticket in the URL and no other credential.
import { call, createKey, json, platformKey, tenantWithAdmin } from "./gateway.ts";
import { openSocket, type Opened } from "./realtime.ts";

export const TICKETS = "/v1/realtime/tickets";

/** A pro tenant's admin and one key holding `scopes` (realtime unless told). */
export async function realtimeKey(scopes: string[] = ["realtime"]) {
  const platform = await platformKey();
  const { admin, tenant } = await tenantWithAdmin(platform);
  const k = await createKey(admin, { scopes });
  return { platform, admin, tenant, key: k.key as string, keyId: k.id as string };
}

export function mint(key: string | undefined, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(TICKETS, { key, body: { path }, headers });
}

/** A ticket for `path`, or the test fails with the gateway's answer. */
export async function ticketFor(key: string, path: string): Promise<string> {
  const res = await mint(key, path);
  if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
  return (await json(res)).ticket;
}

/** The upgrade of `path` (which may carry a query already) with `?ticket=` and no key. */
export function openWithTicket(path: string, ticket: string, opts: { headers?: Record<string, string>; ip?: string } = {}): Promise<Opened> {
  const sep = path.includes("?") ? "&" : "?";
  return openSocket(`${path}${sep}ticket=${encodeURIComponent(ticket)}`, opts);
}
