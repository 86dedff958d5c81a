// Text patches of the built bundle (bench/.build/keygate/index.js) for what-if experiments: each
// removes one suspect, or answers a constant 200 at one point of the pipeline. Used by
// bench/ablate.mjs (throughput with and without) and bench/profile.mjs (ABLATE=...), and checked
// against a fresh bundle by test/node/bench-patches.happy.test.ts, so a patch that no longer
// applies fails a test instead of a benchmark an hour in.
//
// Anchors are few and coarse, so that src/ can change under them:
//   - the head of a named function inside its module's section of the bundle (esbuild writes
//     `// src/<path>` before each module; it may rename a function or a parameter, e.g. log2 or
//     route2, and the patch uses whatever names it finds);
//   - an entry of the stage tables in src/app.ts (`{ name: "authenticate", path: …, run: … }`).
// Every patch says which function of src/ it targets; when that function is renamed or moved,
// change the patch here (the test names the one that broke).

/** Answers every request that reaches it: what a cut at that point of the pipeline costs. */
const CONSTANT = `new Response('{"ok":true}', { headers: { "content-type": "application/json" } })`;
/**
 * The path the bench measures (POST /v1/query, the table route "query"): the stage cuts answer
 * only it, so that the admin API still works and the bench can make its tenant and keys.
 */
const MEASURED = "/v1/query";

/** The bundle's section for one source module: from its `// <file>` line to the next module's. */
function section(text, file) {
  const start = text.indexOf(`\n// ${file}\n`);
  if (start < 0) throw new Error(`patch no longer applies: no module ${file} in the bundle`);
  const next = /\n\/\/ [^\s]+\.(?:ts|tsx|js|mjs|cjs|json)\n/g;
  next.lastIndex = start + 1;
  const end = next.exec(text)?.index ?? text.length;
  return { start, end, body: text.slice(start, end) };
}

/** The head of function `name` (maybe renamed name2 by esbuild) in module `file`: where its body starts, its parameter names. */
function functionHead(text, file, name) {
  const s = section(text, file);
  const forms = [
    new RegExp(`\\n(?:async )?function ${name}\\d*\\(([^)]*)\\) \\{\\n`, "g"),
    new RegExp(`\\nvar ${name}\\d* = (?:async )?\\(([^)]*)\\) => \\{\\n`, "g"),
  ];
  const found = forms.flatMap((re) => [...s.body.matchAll(re)]);
  if (found.length !== 1) throw new Error(`patch no longer applies: ${found.length} functions ${name}() in ${file} (want one with a block body)`);
  const m = found[0];
  const params = m[1].split(",").map((p) => p.trim().replace(/\s*=.*$/, "")).filter(Boolean);
  return { at: s.start + m.index + m[0].length, params };
}

/** Inserts `code(params)` at the start of function `name` of module `file`. */
const atStart = (file, name, code) => (text) => {
  const { at, params } = functionHead(text, file, name);
  return text.slice(0, at) + `  ${code(params)}\n` + text.slice(at);
};

/** One entry of the stage tables of src/app.ts (REQUEST_STAGES, ROUTE_STAGES). */
function stage(text, name) {
  const found = [...text.matchAll(new RegExp(`\\n( *)\\{ name: "${name}", path: ("[^"]*"), run: [\\w$]+ \\},?\\n`, "g"))];
  if (found.length !== 1) throw new Error(`patch no longer applies: ${found.length} stages named "${name}" (want 1)`);
  const m = found[0];
  return { start: m.index + 1, end: m.index + m[0].length, indent: m[1], path: m[2] };
}

const cutStage = (indent, path) =>
  `${indent}{ name: "bench-cut", path: ${path}, run: (c, next) => c.req.path === "${MEASURED}" ? ${CONSTANT} : next() },\n`;
/** A stage answering CONSTANT, just before (or after) the named stage, on the same paths. */
const cutBefore = (name) => (text) => {
  const s = stage(text, name);
  return text.slice(0, s.start) + cutStage(s.indent, s.path) + text.slice(s.start);
};
const cutAfter = (name) => (text) => {
  const s = stage(text, name);
  const entry = text.slice(s.start, s.end).replace(/\}\n$/, "},\n");
  return text.slice(0, s.start) + entry + cutStage(s.indent, s.path) + text.slice(s.end);
};
const withoutStage = (name) => (text) => {
  const s = stage(text, name);
  return text.slice(0, s.start) + text.slice(s.end);
};

const LOG = "src/core/log.ts";
const SIGNING = "src/proxy/signing.ts";
const FORWARD = "src/proxy/forward.ts";
const HEADERS = "src/proxy/headers.ts";

/**
 * forwardToOrigin() reduced to a plain fetch of the route's origin URL with the same body
 * (`withHeaders`: and the client's headers, unfiltered); the answer copied unfiltered, so that the
 * later stages can set its headers (a fetched Response's are immutable).
 */
const plainForward = (withHeaders) =>
  atStart(FORWARD, "forwardToOrigin", ([c, route, opts]) => {
    const url = `new URL(${c}.get("url").pathname + ${c}.get("url").search, ${c}.env[${route}.origin])`;
    const init = `{ method: ${c}.req.method, body: ${opts}.body${withHeaders ? `, headers: ${c}.req.raw.headers` : ""} }`;
    return `return fetch(new Request(${url}, ${init})).then((r) => new Response(r.body, r));`;
  });

export const patches = {
  orig: (t) => t,
  // log() (src/core/log.ts): no line at all / the JSON line with neither the key scan nor scrub() /
  // a constant line (what console.log itself costs).
  "no-log": atStart(LOG, "log", () => "return;"),
  "log-noscrub": atStart(LOG, "log", ([level, event, fields]) => {
    const line = `JSON.stringify({ level: ${level}, event: ${event}, ...${fields} })`;
    return `{ const line = ${line}; if (${level} === "error") console.error(line); else if (${level} === "warn") console.warn(line); else console.log(line); return; }`;
  }),
  "log-constant": atStart(LOG, "log", () => 'console.log("{}"); return;'),
  // signRequest() and contentDigest() (src/proxy/signing.ts): a constant signature / digest.
  "no-signature": atStart(SIGNING, "signRequest", () => 'return { "Signature-Input": "kg=()", Signature: "kg=:AA==:" };'),
  "no-digest": atStart(SIGNING, "contentDigest", () => 'return "sha-256=:AA==:";'),
  // The "security-headers" stage (src/app.ts REQUEST_STAGES) left out.
  "no-secureheaders": withoutStage("security-headers"),
  // Stage cuts (src/app.ts REQUEST_STAGES; forwardToOrigin() in src/proxy/forward.ts): the
  // difference between two cuts is what the stages between them cost.
  "cut-at-start": cutBefore("request-id"),
  "cut-before-auth": cutBefore("authenticate"),
  "cut-after-auth": cutAfter("authenticate"),
  // Finer cuts after authentication, in pipeline order (bench/stage-costs.mjs): a route stage
  // cut (ROUTE_STAGES) answers for code routes too, but the measured path is a table route.
  "cut-after-network": cutAfter("network"),
  "cut-after-charge": cutAfter("charge-unadmitted"),
  "cut-before-scope": cutBefore("scope"),
  "cut-after-resource": cutAfter("resource"),
  "cut-after-admission": cutAfter("admission"),
  "cut-after-body": cutAfter("body"),
  "cut-before-forward": atStart(FORWARD, "forwardToOrigin", () => `return ${CONSTANT};`),
  // dropUnpassableResponseHeaders() (src/proxy/headers.ts): the origin's response headers passed
  // on unfiltered (still copied into a new Response, whose headers the later stages set).
  "no-response-filter": atStart(HEADERS, "dropUnpassableResponseHeaders", () => "return;"),
  // forwardToOrigin() as a bare fetch: no header hygiene, digest or signature.
  "fwd-plain": plainForward(false),
  "fwd-plain-headers": plainForward(true),
};

/** "a+b": both patches. */
export const compose = (name) => (text) =>
  name.split("+").reduce((t, part) => {
    if (!patches[part]) throw new Error(`no such patch: ${part} (have ${Object.keys(patches).join(", ")})`);
    return patches[part](t);
  }, text);
