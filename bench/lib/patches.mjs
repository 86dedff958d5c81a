// Text patches of the built bundle (bench/.build/keygate/index.js) for what-if experiments: each
// removes one suspect, and fails loudly once the source has changed so that it no longer applies.
// Used by bench/ablate.mjs (throughput with and without) and bench/profile.mjs (ABLATE=...).
const replace = (from, to) => (text) => {
  if (!text.includes(from)) throw new Error(`patch no longer applies: ${from}`);
  return text.replace(from, to);
};
const noLog = replace("function log(level, event, fields = {}) {\n", "function log(level, event, fields = {}) {\n  return;\n");
const noSignature = replace(
  "async function signRequest(input2, key, opts) {\n",
  'async function signRequest(input2, key, opts) {\n  return { "Signature-Input": "kg=()", Signature: "kg=:AA==:" };\n',
);
const noSecureHeaders = replace('  app2.use(secureHeaders({ crossOriginResourcePolicy: "same-origin" }));\n', "");
// Stage cuts: answer a constant 200 at one point of the pipeline, so the difference between two
// cuts is what the stages between them cost.
const CONSTANT = `new Response('{"ok":true}', { headers: { "content-type": "application/json" } })`;
const cutAtStart = replace("  app2.use(requestId(", `  app2.use(() => ${CONSTANT});\n  app2.use(requestId(`);
const cutAfterAuth = replace(
  "    throw err;\n  }\n  await next();\n};\n\n// src/http/docs-page.ts",
  `    throw err;\n  }\n  c.res = ${CONSTANT};\n};\n\n// src/http/docs-page.ts`,
);
const cutBeforeAuth = replace("var authenticate = async (c, next) => {\n", `var authenticate = async (c, next) => {\n  c.res = ${CONSTANT};\n  return;\n`);
const cutBeforeForward = replace("  if (!route.job) return forwardToOrigin(c, route, { body });", `  if (!route.job) return ${CONSTANT};`);
const logInline = replace(
  "  c.executionCtx.waitUntil(\n    Promise.allSettled(deferred).then(",
  '  if (deferred.length === 0) log(c.res.status >= 500 ? "error" : "info", "request", { ...line, stores: stores.meter.toJSON() });\n  else c.executionCtx.waitUntil(\n    Promise.allSettled(deferred).then(',
);
const noTimeoutSignal = replace("signal: AbortSignal.timeout(route.timeoutMs), ", "");
const noResponseRebuild = replace(
  "  const out = new Response(response.body, { status: response.status, statusText: response.statusText, headers: passableResponseHeaders(response.headers) });\n  out.headers.set(\"x-request-id\", requestId2);\n  return out;",
  "  return response;",
);
const noDigest = replace(
  '  if (opts.body) headers.set("content-digest", await contentDigest(opts.body));',
  '  if (opts.body) headers.set("content-digest", "sha-256=:AA==:");',
);
const TARGET = '  const { url: url2, send } = target(c.env, route, opts.path ?? incoming.pathname, opts.path ? "" : incoming.search);\n';
/** Forwarding reduced to a bare fetch of the same URL and body: no headers, digest, signature. */
const fwdPlain = replace(TARGET, `${TARGET}  return send(new Request(url2, { method: c.req.method, body: opts.body }));\n`);
/** The same with the client's headers passed on unfiltered. */
const fwdPlainHeaders = replace(TARGET, `${TARGET}  return send(new Request(url2, { method: c.req.method, body: opts.body, headers: c.req.raw.headers }));\n`);
/** log() without scrub(): the JSON line only. */
const logNoScrub = replace("  const line = JSON.stringify(scrub({ level, event, ...fields }));", "  const line = JSON.stringify({ level, event, ...fields });");
/** log() writes a constant line: what console.log itself costs. */
const logConstant = replace("  const line = JSON.stringify(scrub({ level, event, ...fields }));", '  const line = "{}";');
export const patches = { orig: (t) => t, "no-log": noLog, "no-signature": noSignature, "no-secureheaders": noSecureHeaders, "cut-at-start": cutAtStart, "cut-before-auth": cutBeforeAuth, "cut-after-auth": cutAfterAuth, "cut-before-forward": cutBeforeForward, "log-inline": logInline, "no-timeout-signal": noTimeoutSignal, "no-response-rebuild": noResponseRebuild, "no-digest": noDigest, "fwd-plain": fwdPlain, "fwd-plain-headers": fwdPlainHeaders, "log-noscrub": logNoScrub, "log-constant": logConstant };
/** "a+b": both patches. */
export const compose = (name) => (text) => name.split("+").reduce((t, part) => {
  if (!patches[part]) throw new Error(`no such patch: ${part} (have ${Object.keys(patches).join(", ")})`);
  return patches[part](t);
}, text);
