// README's "Trying the whole path", which `npm run dev` also prints with its own URL: one tenant, a
// key for it, an ingest job through the demo origin, the job's state, a query. Each step needs
// the one before; `json FIELD` takes one field of keygate's JSON answer, or stops the chain with
// what came instead (a problem, or nothing), so no step runs on with an empty value. Each run
// makes its own tenant (a unique slug), so the block can run again. test/node/try-it.*.test.ts run
// it as written in README.md and check that this is that text.

/** The steps after the URL line, as bash and zsh both read them when pasted. */
const STEPS = String.raw`json() { node -e '
  const field = process.argv[1], text = require("fs").readFileSync(0, "utf8");
  let value; try { const o = JSON.parse(text); if (!(o.status >= 400)) value = o[field]; } catch {}
  if (value == null) { console.error("Stopped: expected " + field + " from keygate, got: " + (text.trim() || "nothing")); process.exit(1); }
  console.log(typeof value == "string" ? value : JSON.stringify(value));' "$1"; }
T=$(npx keygate tenants create --name Demo --slug "demo-$(date +%s)-$RANDOM" --json | json id) &&
K=$(npx keygate keys create --tenant "$T" --name pipeline --scopes jobs:write,jobs:read,query --json | json key) &&
J=$(curl -sS "$KEYGATE_URL/v1/ingest" -H "Authorization: Bearer $K" -H 'Content-Type: application/json' \
      -d '{"source":"demo.csv","payload":{"rows":2}}' | json id) &&
sleep 3 && curl -sS "$KEYGATE_URL/v1/jobs/$J" -H "Authorization: Bearer $K" | json status &&
curl -sS "$KEYGATE_URL/v1/query" -H "Authorization: Bearer $K" -H 'Content-Type: application/json' \
     -d '{"sql":"select 1"}' | json rows &&
echo "The whole path works: tenant $T, job $J."`;

/**
 * The block. Without a URL, README's form: KEYGATE_URL if set, else npm run dev's default (the one
 * place the default is written). With one, the dev banner's: that URL, whatever the shell had.
 * @param {string} [url]
 */
export function tryItBlock(url) {
  return `export KEYGATE_URL=${url ?? "${KEYGATE_URL:-http://127.0.0.1:8787}"}\n${STEPS}`;
}
