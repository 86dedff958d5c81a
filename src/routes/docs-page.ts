// /docs: an API reference rendered on the server from the OpenAPI document. No scripts, fonts or
// styles from a CDN, so it works on a laptop with no network and under a strict CSP.
import { PROBLEMS, problemType, type ProblemKind } from "../core/problem.ts";

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  "x-keygate-scope"?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};
type Doc = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function schemaBlock(schema: unknown, doc: Doc): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  const resolved = ref ? doc.components?.schemas?.[ref.split("/").pop()!] : schema;
  return `<pre>${esc(JSON.stringify(resolved, null, 2))}</pre>`;
}

export function renderDocs(doc: Doc): string {
  const ops: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? [])
        .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""})</li>`)
        .join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([code, r]) => `<li><code>${esc(code)}</code> ${esc(r.description ?? "")}</li>`)
        .join("");
      ops.push(`<section id="${esc(method + path)}">
<h3><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary ?? "")}</p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
<p>Requires: <code>${esc(op["x-keygate-scope"] ?? "?")}</code></p>
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}
${body ? `<h4>Request body (application/json)</h4>${schemaBlock(body, doc)}` : ""}
<h4>Responses</h4><ul>${responses}</ul></section>`);
    }
  }
  const problems = Object.entries(PROBLEMS)
    .map(([kind, p]) => `<tr><td><code>${esc(problemType(kind as ProblemKind))}</code></td><td>${p.status}</td><td>${esc(p.title)}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto;font-size:13px}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4rem;color:#05c}
table{border-collapse:collapse}td{border:1px solid #ddd;padding:.25rem .5rem}</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? "")}</p>
<p>The machine-readable description is at <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Errors</h2><p>Every error is <code>application/problem+json</code> (RFC 9457) with one of these types and a <code>request_id</code>.</p>
<table><tr><td>type</td><td>status</td><td>title</td></tr>${problems}</table>
<h2>Operations</h2>${ops.join("\n")}</body></html>`;
}
