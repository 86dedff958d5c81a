// A tool call is its route's own request, made in-process through the whole gateway with the
// caller's key: every stage a client's request passes (key state, networks, scope, the tool's
// `mcp_tool` rule, cost, key and tenant limits, body limits), then the same signed forwarding, so
// the origin receives an ordinary signed request and needs no change. Its answer becomes the
// tool's result; a refusal or an origin failure becomes a tool error the model can act on.
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { PROBLEMS, problemType, type ProblemKind } from "../core/problem.ts";
import type { AppEnv } from "../http/context.ts";
import { markToolCall, type Dispatch } from "../http/in-process.ts";
import type { ToolRoute } from "./tools.ts";

// The caller's key, where the caller is (network rules and the per-IP filter must see the client's
// address, not the Worker's) and its User-Agent. Nothing else of the MCP exchange reaches the origin.
const PASSED_ON = ["authorization", "x-api-key", "cf-connecting-ip", "user-agent"];

export async function callTool(app: Dispatch, c: Context<AppEnv>, route: ToolRoute, args: unknown): Promise<CallToolResult> {
  const headers = new Headers({ "content-type": "application/json", accept: "application/json" });
  for (const name of PASSED_ON) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  // The exchange's id: its log line and the tool call's share it.
  headers.set("x-request-id", c.get("requestId"));
  const request = new Request(new URL(route.path, c.get("url")), { method: "POST", headers, body: JSON.stringify(args ?? {}) });
  markToolCall(request, route.mcp.name);
  const res = await app.fetch(request, c.env, c.executionCtx);
  return toolResult(res);
}

/** Longest origin text passed to the model; a longer answer is cut, and not parsed. */
const MAX_TEXT = 100_000;

/** keygate's own problem types: an origin's problem+json is the origin's, not a gateway refusal. */
const GATEWAY_TYPES = new Set((Object.keys(PROBLEMS) as ProblemKind[]).map(problemType));

/** The route's answer as MCP says a tool answers: its JSON as structured content, a failure as a tool error. */
export async function toolResult(res: Response): Promise<CallToolResult> {
  const text = await res.text();
  const body = text.length > MAX_TEXT ? undefined : parseJson(text);
  if (res.ok) {
    return { content: [{ type: "text", text: clip(text) }], ...(isObject(body) ? { structuredContent: body } : {}) };
  }
  const retryAfter = Number(res.headers.get("retry-after") ?? "NaN");
  const isProblem = isObject(body) && GATEWAY_TYPES.has(String(body.type)) && (res.headers.get("content-type") ?? "").startsWith("application/problem+json");
  const error = isProblem
    ? { status: res.status, type: body.type, title: body.title, detail: body.detail, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) }
    : { status: res.status, type: "origin-error", title: `The origin answered ${res.status}`, ...(body === undefined ? {} : { origin: body }) };
  const said = isProblem ? `${String(body.title)} (${res.status}): ${String(body.detail ?? "")}` : `The origin answered ${res.status}: ${clip(text)}`;
  const retry = "retryAfterSeconds" in error ? ` Retry after ${error.retryAfterSeconds} s.` : "";
  return { isError: true, content: [{ type: "text", text: said + retry }], structuredContent: error };
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters in all)` : text);
