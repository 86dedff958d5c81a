// Operators: the people who sign in through Access. Listing and changing them takes a platform key or
// a platform-wide owner; the API says no to anyone else.
import { ROLES } from "../../people/operator.ts";
import { must, query } from "../api.ts";
import { ApiButton, ApiForm, Field, Select, Submit } from "../components/forms.tsx";
import { Badge, Card, Empty, Pager, TableWrap, Time } from "../components/ui.tsx";
import type { PageFn } from "../page.tsx";
import type { Operator, Page, Tenant } from "../types.ts";
import { tenantChoices } from "./keys.tsx";

const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: r }));
const ROLE_HINT = "owner: everything in reach, operators too; admin: keys, jobs, alerts; viewer: read only.";

const AddOperator = ({ tenants }: { tenants: Tenant[] | null }) => (
  <details class="card disclosure">
    <summary data-testid="operator-create-open">Add an operator</summary>
    <ApiForm api="POST /v1/operators" label="Add an operator" testid="operator-create-form" class="form-grid">
      <Field form="operator-create" name="email" label="Email" type="email" required testid="operator-create-email" hint="As Cloudflare Access knows it." />
      <Select form="operator-create" name="role" label="Role" required options={ROLE_OPTIONS} value="viewer" testid="operator-create-role" hint={ROLE_HINT} />
      {tenants ? (
        <Select
          form="operator-create"
          name="tenantId"
          label="Reach"
          options={[{ value: "", label: "The whole platform" }, ...tenants.map((t) => ({ value: t.id, label: `Only ${t.name}` }))]}
          value=""
          testid="operator-create-tenant"
        />
      ) : null}
      <div class="form-actions">
        <Submit testid="operator-create-submit">Add operator</Submit>
      </div>
    </ApiForm>
  </details>
);

export const operatorsPage: PageFn = async ({ api, viewer, url, now }) => {
  const [list, tenants] = await Promise.all([
    api<Page<Operator>>("GET", `/v1/operators${query({ limit: 50, cursor: url.searchParams.get("cursor") })}`).then(must),
    viewer.platform ? tenantChoices(api) : Promise.resolve([]),
  ]);
  const tenantName = new Map(tenants.map((t) => [t.id, t.name]));
  const body = (
    <>
      {viewer.canManageOperators ? <AddOperator tenants={viewer.platform ? tenants : null} /> : null}
      <Card>
        {list.data.length === 0 ? (
          <Empty title="No operators yet">Add the people who run keygate; they sign in through Cloudflare Access with their email.</Empty>
        ) : (
          <TableWrap label="Operators">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Reach</th>
                  <th scope="col">Role</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Added</th>
                  {viewer.canManageOperators ? (
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {list.data.map((o) => (
                  <tr data-testid={`row-${o.id}`}>
                    <td>{o.email}</td>
                    <td>{o.tenantId === null ? "platform" : (tenantName.get(o.tenantId) ?? <span class="mono">{o.tenantId}</span>)}</td>
                    <td>
                      {viewer.canManageOperators && o.email !== viewer.who ? (
                        <ApiForm api={`PATCH /v1/operators/${o.id}`} changedOnly label={`Role of ${o.email}`} class="inline-form">
                          <label class="sr-only" for={`role-${o.id}`}>
                            Role of {o.email}
                          </label>
                          <select id={`role-${o.id}`} name="role" data-testid={`operator-role-${o.id}`}>
                            {ROLES.map((r) => (
                              <option value={r} selected={r === o.role}>
                                {r}
                              </option>
                            ))}
                          </select>
                          <button type="submit" class="btn btn-plain btn-small" data-testid={`operator-role-save-${o.id}`}>
                            Save
                          </button>
                        </ApiForm>
                      ) : (
                        <Badge state="info" label={o.role} />
                      )}
                    </td>
                    <td>
                      <Time iso={o.lastSeenAt} now={now} />
                    </td>
                    <td>
                      <Time iso={o.createdAt} now={now} />
                    </td>
                    {viewer.canManageOperators ? (
                      <td>
                        {o.email === viewer.who ? <span class="muted">you</span> : <ApiButton api={`DELETE /v1/operators/${o.id}`} tone="danger" testid={`operator-remove-${o.id}`} label={`Remove ${o.email}`} confirm={`Remove ${o.email}? They can no longer sign in.`}>
                          Remove
                        </ApiButton>}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager url={url} nextCursor={list.nextCursor} />
      </Card>
    </>
  );
  return { title: "Operators", nav: "operators", body, lead: "People who sign in through Cloudflare Access, and what each may do." };
};
