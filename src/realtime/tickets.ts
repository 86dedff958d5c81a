// POST /v1/realtime/tickets: a browser's way in. Its page cannot set headers on a WebSocket, so
// its backend (or the page, with a key it may hold) trades the key for a ticket that opens one
// connection on one path within a minute (keys/ticket.ts, limits/ticket-store.ts).
import { z } from "@hono/zod-openapi";
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { insufficientScope, Problem } from "../core/problem.ts";
import { matchRoute, routeTable } from "../config/route-table.ts";
import { defineRoute, endpoint, jsonContent, type Endpoint } from "../http/route.ts";
import { grants } from "../keys/scopes.ts";
import { ticketSecret } from "../http/ticket-credential.ts";
import { hashTicket, newTicket, TICKET_TTL_MS } from "../keys/ticket.ts";
import { LIMITER_TIMEOUT_MS } from "../limits/lease-policy.ts";
import { limiterUnavailable } from "../limits/refusals.ts";
import { MAX_LIVE_TICKETS } from "../limits/ticket-store.ts";

const TicketRequest = z
  .object({
    path: z
      .string()
      .max(2048)
      .regex(/^\/v1\/[^?#]*$/, "a path under /v1/, without query or fragment")
      .openapi({ example: "/v1/realtime", description: "The WebSocket route's path the ticket will open, exactly as the upgrade will send it." }),
  })
  .strict()
  .openapi("TicketRequest");

const Ticket = z
  .object({
    ticket: z.string().openapi({ description: "Send as `?ticket=` on the WebSocket upgrade of `path`; it opens one connection." }),
    path: z.string(),
    expiresAt: z.string().openapi({ description: "The ticket is refused after this (60 s after it was issued)." }),
  })
  .openapi("Ticket");

const issue = defineRoute("authenticated", {
  operationId: "createRealtimeTicket",
  method: "post",
  path: "/v1/realtime/tickets",
  tags: ["Realtime"],
  summary: "A single-use ticket that opens one WebSocket from a browser",
  description:
    "Browsers cannot set headers on a WebSocket. Trade the key for a ticket bound to this key and path, valid 60 seconds and for one connection, then open `wss://…<path>?ticket=<ticket>`. The key must hold the route's scope.",
  request: { body: { required: true, ...jsonContent(TicketRequest) } },
  responses: {
    201: { description: "The ticket", ...jsonContent(Ticket) },
    404: { description: "The path is not a WebSocket route" },
    422: { description: "The body is not a path under /v1" },
  },
});

export const realtimeRoutes: Endpoint[] = [
  endpoint(issue, async (c) => {
    const { path } = c.req.valid("json");
    const { key, operator } = c.get("principal");
    if (operator) throw new Problem("api-key-required", { detail: "Tickets open WebSockets for API keys; a person's sign-in cannot be traded for one." });
    const match = matchRoute(routeTable(c.env), path);
    if (!match?.route.websocket) throw new Problem("not-found", { detail: `${path} is not a WebSocket route.` });
    if (!grants(key.scopes, match.route.scope)) throw insufficientScope(match.route.scope, key.keyId, "cache");
    const ticket = await newTicket(key.keyId, ticketSecret(c.env));
    const expiresAt = Date.now() + TICKET_TTL_MS;
    let stored;
    try {
      const mint = { ticketHash: hashTicket(ticket), path, hash: key.hash, expiresAt, keyId: key.keyId, tenantId: key.tenantId };
      stored = await deadline(c.get("stores").keyLimiter(key.keyId).mintTicket(mint), LIMITER_TIMEOUT_MS, "the key's object");
    } catch (err) {
      log("error", "realtime.ticket_unstored", { keyId: key.keyId, error: String(err) });
      throw limiterUnavailable();
    }
    if (!stored.ok) {
      throw new Problem("quota-exceeded", {
        detail: `This key holds ${MAX_LIVE_TICKETS} unused tickets; use them or let them expire (60 s).`,
        headers: { "Retry-After": String(TICKET_TTL_MS / 1000) },
        extensions: { "violated-policies": ["tickets"] },
      });
    }
    c.header("Cache-Control", "no-store");
    return c.json({ ticket, path, expiresAt: new Date(expiresAt).toISOString() }, 201);
  }),
];
