// Creating a key (its secret is shown once, by console.js, in the shared secret dialog: never in the
// page the server renders) and editing one's scopes, limits and expiry.
import type { FC } from "hono/jsx";
import { PERMISSION_SETS, SCOPES } from "../../keys/scopes.ts";
import type { Key, Tenant } from "../types.ts";
import { ApiForm, Checks, Dialog, Field, OpenDialog, RateField, Select, Submit, TextArea } from "./forms.tsx";

const SCOPE_OPTIONS = SCOPES.filter((s) => s !== "*").map((s) => ({ value: s, label: s }));
const PRESETS = [
  { value: "", label: "None: choose scopes below" },
  ...Object.entries(PERMISSION_SETS).map(([name, set]) => ({ value: name, label: `${name.replace(/_/g, " ")} (${set.scopes.join(", ")})` })),
];

/** The create button and its dialog. `tenant`: fixed tenant; `tenants`: a choice (platform). */
export const KeyCreate: FC<{ tenant?: Pick<Tenant, "id" | "name">; tenants?: Pick<Tenant, "id" | "name">[] }> = ({ tenant, tenants }) => (
  <>
    <OpenDialog dialog="key-create-dialog" tone="primary" testid="key-create-open">
      New key
    </OpenDialog>
    <Dialog id="key-create-dialog" title={tenant ? `New key for ${tenant.name}` : "New key"} testid="key-create-dialog">
      <ApiForm api="POST /v1/keys" then="secret" label="Create a key" testid="key-create-form">
        <Field form="key-create" name="name" label="Name" required testid="key-create-name" placeholder="billing-service" hint="Unique within the tenant; say what uses it." />
        {tenant ? (
          <input type="hidden" name="tenantId" value={tenant.id} />
        ) : tenants && tenants.length > 0 ? (
          <Select form="key-create" name="tenantId" label="Tenant" required options={tenants.map((t) => ({ value: t.id, label: t.name }))} testid="key-create-tenant" />
        ) : null}
        <Select form="key-create" name="permissionSet" label="Preset" options={PRESETS} value="read_only" testid="key-create-preset" hint="A preset, or none and the scopes below (not both)." />
        <Checks form="key-create" name="scopes" legend="Scopes" options={SCOPE_OPTIONS} testid="key-create-scopes" />
        <Select
          form="key-create"
          name="environment"
          label="Environment"
          required
          options={[
            { value: "live", label: "live" },
            { value: "test", label: "test" },
          ]}
          value="live"
        />
        <Field form="key-create" name="expiresAt" label="Expires (UTC)" kind="datetime" hint="Empty: never." />
        <RateField form="key-create" name="rateLimit" legend="Rate limit" hint="Empty: the tenant plan's. Only a platform key may loosen it." />
        <Field form="key-create" name="monthlyQuota" label="Monthly quota" kind="int" min={1} hint="Requests per month. Empty: the tenant's." />
        <TextArea form="key-create" name="description" label="Description" />
        <div class="form-actions">
          <button type="button" class="btn btn-plain" data-close-dialog>
            Cancel
          </button>
          <Submit testid="key-create-submit">Create key</Submit>
        </div>
      </ApiForm>
    </Dialog>
  </>
);

/** datetime-local wants "YYYY-MM-DDTHH:mm" without a zone: the console reads and writes it as UTC. */
const localValue = (iso: string | null) => (iso ? iso.slice(0, 16) : undefined);

export const KeyEdit: FC<{ k: Key }> = ({ k }) => (
  <details class="card disclosure">
    <summary data-testid="key-edit-open">Edit name, scopes, limits and expiry</summary>
    <ApiForm api={`PATCH /v1/keys/${k.id}`} empty="null" changedOnly label="Edit key" testid="key-edit-form">
      <Field form="key-edit" name="name" label="Name" required value={k.name} testid="key-edit-name" />
      <TextArea form="key-edit" name="description" label="Description" value={k.description} />
      <Checks form="key-edit" name="scopes" legend="Scopes" options={SCOPE_OPTIONS} checked={k.scopes} testid="key-edit-scopes" />
      <Field
        form="key-edit"
        name="expiresAt"
        label="Expires (UTC)"
        kind="datetime"
        value={localValue(k.expiresAt)}
        testid="key-edit-expires"
        hint="Shown and read in UTC. Clear it for no expiry."
      />
      <RateField form="key-edit" name="rateLimit" legend="Rate limit" value={k.rateLimit} hint="Clear the number to use the tenant plan's." />
      <Field form="key-edit" name="monthlyQuota" label="Monthly quota" kind="int" min={1} value={k.monthlyQuota} testid="key-edit-quota" hint="Clear it to use the tenant's." />
      <div class="form-actions">
        <Submit testid="key-edit-submit">Save changes</Submit>
      </div>
    </ApiForm>
  </details>
);
