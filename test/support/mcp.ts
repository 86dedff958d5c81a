// An MCP client of the official SDK, talking to the gateway in this workerd (the same path a
// remote agent's requests take, through the whole app).
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { exports } from "cloudflare:workers";
import { BASE } from "./gateway.ts";

/** The protocol revisions keygate serves: the current one, and 2025's (initialize, no sessions). */
export const CURRENT = "2026-07-28";
export const PREVIOUS = "2025-11-25";

export type Era = typeof CURRENT | typeof PREVIOUS;

export const gatewayFetch = (url: string | URL, init?: RequestInit) => exports.default.fetch(new Request(url, init));

/** A connected client with this key (Bearer), speaking the given revision. */
export async function mcpClient(key: string, era: Era = CURRENT, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "keygate-test", version: "1.0.0" }, era === CURRENT ? { versionNegotiation: { mode: { pin: CURRENT } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(BASE + "/v1/mcp"), {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } },
  });
  await client.connect(transport);
  return client;
}

/** A tool call's text, parsed: tools answer with the route's JSON. */
export function toolJson(result: { content?: unknown }): any {
  const [first] = (result.content ?? []) as { type: string; text?: string }[];
  return first?.type === "text" ? JSON.parse(first.text!) : undefined;
}
