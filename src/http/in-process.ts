// Requests this isolate makes to its own API, and what only it can say about them. A console page
// reads through the API in-process (console/api.ts), as the person the page already resolved.
// That person is handed to each of those calls with the Request object itself, so a page's five
// to thirteen calls do not each read the session from D1 again or verify the Access token again.
// An MCP tool call (mcp/call-tool.ts) is marked the same way. Only code in this isolate holds
// those Request objects: no client can forge an entry.
import type { Hono } from "hono";
import type { Principal } from "../keys/verify.ts";
import type { AppEnv } from "./context.ts";

/** What an in-process caller needs of the assembled app: its fetch handler. */
export type Dispatch = Pick<Hono<AppEnv>, "fetch">;

export type Person = { principal: Principal; session?: { csrf: string; expiresAt: number } };

const handed = new WeakMap<Request, Person>();

export function handOver(request: Request, person: Person): void {
  handed.set(request, person);
}

/** The person a page handed to this in-process request, if it is one. */
export const handedOver = (request: Request): Person | undefined => handed.get(request);

const toolCalls = new WeakMap<Request, string>();

/**
 * Marks the request an MCP tool call makes of its route: the table match (routes/table.ts) then
 * checks the key may use that tool, signs it for the origin, and names it for usage and the log.
 */
export function markToolCall(request: Request, tool: string): void {
  toolCalls.set(request, tool);
}

/** The MCP tool this in-process request calls, if it is a tool call. */
export const toolCallOf = (request: Request): string | undefined => toolCalls.get(request);
