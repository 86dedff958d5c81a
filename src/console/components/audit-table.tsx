// Audit entries as a table: when, what, to what, by whom, from where; the details on demand (with
// nothing key-shaped in them: format.ts displayable()).
import type { FC } from "hono/jsx";
import { json } from "../format.ts";
import type { AuditEntry } from "../types.ts";
import { Empty, TableWrap, Time } from "./ui.tsx";

const TARGET_PAGES: Record<string, string> = { key: "/console/keys/", tenant: "/console/tenants/", alert: "/console/alerts/" };

const Actor: FC<{ e: AuditEntry }> = ({ e }) => {
  if (e.actor?.type === "operator") return <span title="A person signed in through Access">{e.actor.email}</span>;
  const id = e.actor?.type === "key" ? e.actor.id : e.actorKeyId;
  if (!id) return <span class="muted">keygate</span>;
  return id.startsWith("key_") ? (
    <a href={`/console/keys/${id}`} class="mono">
      {id}
    </a>
  ) : (
    <span class="mono">{id}</span>
  );
};

export const AuditTable: FC<{ entries: AuditEntry[]; now: number; showTarget?: boolean; emptyHint?: string }> = ({ entries, now, showTarget = true, emptyHint }) =>
  entries.length === 0 ? (
    <Empty title="No audit entries">{emptyHint ?? "Every change to a key, tenant or alert rule is recorded here, with who made it."}</Empty>
  ) : (
    <TableWrap label="Audit entries">
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            {showTarget ? <th scope="col">Target</th> : null}
            <th scope="col">By</th>
            <th scope="col">From</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr data-testid={`row-${e.id}`}>
              <td>
                <Time iso={e.at} now={now} />
              </td>
              <td>
                <span class="mono">{e.action}</span>
              </td>
              {showTarget ? (
                <td>
                  {TARGET_PAGES[e.targetType] ? (
                    <a href={TARGET_PAGES[e.targetType] + e.targetId} class="mono">
                      {e.targetId}
                    </a>
                  ) : (
                    <span class="mono">{e.targetId}</span>
                  )}
                </td>
              ) : null}
              <td>
                <Actor e={e} />
              </td>
              <td class="mono">{e.ip ?? "—"}</td>
              <td>
                {e.details && Object.keys(e.details).length > 0 ? (
                  <details class="inline-details">
                    <summary>Show</summary>
                    <pre>{json(e.details)}</pre>
                  </details>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
