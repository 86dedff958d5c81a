// Keys: the list with state and last use, filters (tenant for the platform, state, environment, a
// search by name, id or last four), and creating one.
import { ApiProblem, must, query, type Api } from "../api.ts";
import { KeyCreate } from "../components/key-forms.tsx";
import { Badge, Card, Empty, Pager, TableWrap, Time } from "../components/ui.tsx";
import { keyState, type KeyState } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { Key, Page, Tenant } from "../types.ts";

const STATES: Record<string, { label: string; q: Record<string, string>; keep?: KeyState }> = {
  "": { label: "Any but deleted", q: {} },
  active: { label: "Active", q: { enabled: "true", revoked: "false" }, keep: "active" },
  disabled: { label: "Disabled", q: { enabled: "false", revoked: "false" } },
  expired: { label: "Expired", q: { revoked: "false" }, keep: "expired" },
  revoked: { label: "Revoked", q: { revoked: "true" } },
  deleted: { label: "Deleted", q: { deleted: "true" } },
};

/** A search looks through this many of the newest keys matching the other filters. */
const SEARCH_PAGES = 5;

/** Up to 100 tenants for the platform's tenant filter and the create dialog. */
export async function tenantChoices(api: Api): Promise<Tenant[]> {
  const r = await api<Page<Tenant>>("GET", "/v1/tenants?limit=100");
  return r instanceof ApiProblem ? [] : r.data;
}

export const keysPage: PageFn = async ({ api, viewer, url, now }) => {
  const p = url.searchParams;
  const stateId = p.get("state") ?? "";
  const state = (Object.hasOwn(STATES, stateId) ? STATES[stateId] : undefined) ?? STATES[""]!;
  const tenantId = viewer.platform ? (p.get("tenant") ?? "") : "";
  const env = p.get("environment") ?? "";
  const search = (p.get("q") ?? "").trim().toLowerCase();
  const base = { ...state.q, tenantId: tenantId || undefined, environment: env === "live" || env === "test" ? env : undefined };

  const tenants = viewer.platform ? await tenantChoices(api) : [];
  const tenantName = new Map(tenants.map((t) => [t.id, t.name]));

  let rows: Key[] = [];
  let nextCursor: string | null = null;
  let scanned = false;
  if (search) {
    let cursor: string | undefined;
    for (let i = 0; i < SEARCH_PAGES; i++) {
      const page = must(await api<Page<Key>>("GET", `/v1/keys${query({ ...base, limit: 100, cursor })}`));
      rows.push(...page.data);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
      if (i === SEARCH_PAGES - 1) scanned = true;
    }
    rows = rows.filter((k) => k.name.toLowerCase().includes(search) || k.id.toLowerCase() === search || (k.hint ?? "").toLowerCase() === search);
  } else {
    const page = must(await api<Page<Key>>("GET", `/v1/keys${query({ ...base, limit: 50, cursor: p.get("cursor") })}`));
    rows = page.data;
    nextCursor = page.nextCursor;
  }
  if (state.keep) rows = rows.filter((k) => keyState(k, now) === state.keep);
  const filtered = stateId !== "" || tenantId !== "" || env !== "" || search !== "";

  const body = (
    <Card>
      <form method="get" class="filters" aria-label="Filter keys" data-testid="key-filters">
        <div class="field field-grow">
          <label for="f-q">Search</label>
          <input id="f-q" name="q" type="search" value={p.get("q") ?? ""} placeholder="name, id or last four" autocomplete="off" data-testid="key-filter-search" />
        </div>
        {viewer.platform ? (
          <div class="field">
            <label for="f-tenant">Tenant</label>
            <select id="f-tenant" name="tenant" data-testid="key-filter-tenant">
              <option value="">All tenants</option>
              {tenants.map((t) => (
                <option value={t.id} selected={t.id === tenantId}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div class="field">
          <label for="f-state">State</label>
          <select id="f-state" name="state" data-testid="key-filter-state">
            {Object.entries(STATES).map(([id, s]) => (
              <option value={id} selected={id === stateId}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-env">Environment</label>
          <select id="f-env" name="environment">
            <option value="">Both</option>
            <option value="live" selected={env === "live"}>
              live
            </option>
            <option value="test" selected={env === "test"}>
              test
            </option>
          </select>
        </div>
        <button type="submit" class="btn btn-plain" data-testid="key-filter-apply">
          Apply
        </button>
        {filtered ? (
          <a class="btn btn-link" href="/console/keys">
            Clear
          </a>
        ) : null}
      </form>
      {rows.length === 0 ? (
        <Empty title={filtered ? "No keys match these filters" : "No keys yet — create one"}>
          {filtered ? "Clear the filters to see every key." : viewer.canWrite ? "Use New key above; its secret is shown once, right after creation." : "Keys appear here once an admin creates them."}
        </Empty>
      ) : (
        <TableWrap label="Keys">
          <table data-testid="key-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                {viewer.platform ? <th scope="col">Tenant</th> : null}
                <th scope="col">State</th>
                <th scope="col">Scopes</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr data-testid={`row-${k.id}`}>
                  <td>
                    <a href={`/console/keys/${k.id}`}>{k.name}</a>
                    <div class="sub mono">
                      {k.environment} · {k.hint ? `…${k.hint}` : "no secret"}
                    </div>
                  </td>
                  {viewer.platform ? <td>{tenantName.get(k.tenantId) ?? <span class="mono">{k.tenantId}</span>}</td> : null}
                  <td>
                    <Badge state={keyState(k, now)} />
                  </td>
                  <td>
                    <span class="scopes">{k.scopes.join(", ")}</span>
                  </td>
                  <td>
                    <Time iso={k.lastUsedAt} now={now} />
                  </td>
                  <td>
                    <Time iso={k.expiresAt} empty="never" now={now} />
                  </td>
                  <td>
                    <Time iso={k.createdAt} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {scanned ? <p class="muted small">Searched the {SEARCH_PAGES * 100} newest keys; narrow the filters to search older ones.</p> : null}
      <Pager url={url} nextCursor={nextCursor} />
    </Card>
  );
  const actions = viewer.canWrite ? <KeyCreate tenants={viewer.platform ? tenants : undefined} /> : undefined;
  return { title: "Keys", nav: "keys", body, actions };
};
