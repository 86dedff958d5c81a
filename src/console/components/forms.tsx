// Forms and buttons that call the /v1 API from the browser (public/assets/console/console.js reads
// the data-* attributes described here). Without the script a form posts to /console/needs-script,
// which changes nothing and says why.
import type { Child, FC, PropsWithChildren } from "hono/jsx";

/**
 * data-api: "METHOD /v1/path". data-then: "reload", "secret" (show a returned secret once, then
 * reload), or "go:/console/…{id}" (go to a page, {id} from the answer). data-empty: "omit" (create:
 * empty fields are left out) or "null" (edit: an emptied field removes the value). data-changed-only:
 * send only the fields the person changed.
 */
export type ApiFormProps = {
  api: string;
  then?: string;
  empty?: "omit" | "null";
  changedOnly?: boolean;
  testid?: string;
  label: string;
  class?: string;
  id?: string;
};

export const NEEDS_SCRIPT = "/console/needs-script";

export const ApiForm: FC<PropsWithChildren<ApiFormProps>> = (p) => (
  <form
    method="post"
    action={NEEDS_SCRIPT}
    class={`form ${p.class ?? ""}`.trim()}
    id={p.id}
    aria-label={p.label}
    data-api={p.api}
    data-then={p.then ?? "reload"}
    data-empty={p.empty ?? "omit"}
    data-changed-only={p.changedOnly ? "true" : undefined}
    data-testid={p.testid}
  >
    {p.children}
  </form>
);

type FieldProps = {
  form: string;
  name: string;
  label: string;
  hint?: string;
  /** How console.js reads the value: number, int, bool, list, datetime; text otherwise. */
  kind?: "number" | "int" | "list" | "datetime";
  type?: string;
  value?: string | number | null;
  required?: boolean;
  placeholder?: string;
  testid?: string;
  min?: number;
  max?: number;
  step?: string;
  pattern?: string;
  autocomplete?: string;
  inputmode?: "numeric" | "decimal" | "email" | "url";
};

const fieldId = (form: string, name: string) => `${form}-${name.replace(/[^\w-]/g, "-")}`;

export const Field: FC<FieldProps> = (p) => {
  const id = fieldId(p.form, p.name);
  return (
    <div class="field">
      <label for={id}>
        {p.label}
        {p.required ? null : <span class="optional"> (optional)</span>}
      </label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? (p.kind === "number" || p.kind === "int" ? "number" : p.kind === "datetime" ? "datetime-local" : "text")}
        value={p.value ?? undefined}
        required={p.required}
        placeholder={p.placeholder}
        data-kind={p.kind}
        data-testid={p.testid}
        min={p.min}
        max={p.max}
        step={p.step ?? (p.kind === "int" ? "1" : p.kind === "number" ? "any" : undefined)}
        pattern={p.pattern}
        autocomplete={p.autocomplete ?? "off"}
        inputmode={p.inputmode}
        aria-describedby={p.hint ? `${id}-hint` : undefined}
      />
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
    </div>
  );
};

export const TextArea: FC<Omit<FieldProps, "kind" | "type"> & { rows?: number }> = (p) => {
  const id = fieldId(p.form, p.name);
  return (
    <div class="field">
      <label for={id}>
        {p.label}
        {p.required ? null : <span class="optional"> (optional)</span>}
      </label>
      <textarea id={id} name={p.name} rows={p.rows ?? 2} required={p.required} placeholder={p.placeholder} data-testid={p.testid} aria-describedby={p.hint ? `${id}-hint` : undefined}>
        {p.value ?? ""}
      </textarea>
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
    </div>
  );
};

export type Option = { value: string; label: string };

export const Select: FC<Omit<FieldProps, "type" | "kind"> & { options: Option[]; kind?: "bool" | "int" }> = (p) => {
  const id = fieldId(p.form, p.name);
  return (
    <div class="field">
      <label for={id}>
        {p.label}
        {p.required ? null : <span class="optional"> (optional)</span>}
      </label>
      <select id={id} name={p.name} required={p.required} data-kind={p.kind} data-testid={p.testid} aria-describedby={p.hint ? `${id}-hint` : undefined}>
        {p.options.map((o) => (
          <option value={o.value} selected={String(p.value ?? "") === o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
    </div>
  );
};

/** A set of checkboxes read as one list (e.g. scopes). */
export const Checks: FC<{ form: string; name: string; legend: string; options: Option[]; checked?: string[]; hint?: string; testid?: string }> = (p) => (
  <fieldset class="checks" data-testid={p.testid}>
    <legend>{p.legend}</legend>
    {p.hint ? <p class="hint">{p.hint}</p> : null}
    <div class="check-grid">
      {p.options.map((o) => (
        <label class="check">
          <input type="checkbox" name={p.name} value={o.value} data-kind="list" checked={p.checked?.includes(o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
    </div>
  </fieldset>
);

const PERS: Option[] = ["second", "minute", "hour", "day"].map((v) => ({ value: v, label: `per ${v}` }));

/** A rate limit as "N requests per unit": two controls read as {requests, per}. */
export const RateField: FC<{ form: string; name: string; legend: string; value?: { requests: number; per: string } | null; hint?: string }> = (p) => {
  const id = fieldId(p.form, p.name);
  return (
    <fieldset class="rate" aria-describedby={p.hint ? `${id}-hint` : undefined}>
      <legend>
        {p.legend}
        <span class="optional"> (optional)</span>
      </legend>
      <div class="rate-row">
        <label class="sr-only" for={`${id}-requests`}>
          {p.legend}: requests
        </label>
        <input id={`${id}-requests`} type="number" min={1} step="1" name={`${p.name}.requests`} data-kind="int" value={p.value?.requests} placeholder="requests" />
        <label class="sr-only" for={`${id}-per`}>
          {p.legend}: per
        </label>
        <select id={`${id}-per`} name={`${p.name}.per`}>
          {PERS.map((o) => (
            <option value={o.value} selected={(p.value?.per ?? "minute") === o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
    </fieldset>
  );
};

export const Submit: FC<PropsWithChildren<{ testid?: string; tone?: "primary" | "danger" | "plain" }>> = (p) => (
  <button type="submit" class={`btn btn-${p.tone ?? "primary"}`} data-testid={p.testid}>
    {p.children}
  </button>
);

/**
 * One click, one API call (enable, disable, cancel, delete). data-confirm opens the console's own
 * confirmation dialog first.
 */
export const ApiButton: FC<PropsWithChildren<{ api: string; body?: unknown; confirm?: string; then?: string; testid?: string; tone?: "primary" | "danger" | "plain"; label?: string }>> = (p) => (
  <button
    type="button"
    class={`btn btn-${p.tone ?? "plain"}`}
    data-api={p.api}
    data-body={p.body === undefined ? undefined : JSON.stringify(p.body)}
    data-confirm={p.confirm}
    data-then={p.then ?? "reload"}
    data-testid={p.testid}
    aria-label={p.label}
  >
    {p.children}
  </button>
);

/** A button that opens a <dialog> of this page. */
export const OpenDialog: FC<PropsWithChildren<{ dialog: string; testid?: string; tone?: "primary" | "danger" | "plain" }>> = (p) => (
  <button type="button" class={`btn btn-${p.tone ?? "plain"}`} data-open-dialog={p.dialog} aria-haspopup="dialog" data-testid={p.testid}>
    {p.children}
  </button>
);

/** A modal with a title; its body usually holds an ApiForm. */
export const Dialog: FC<PropsWithChildren<{ id: string; title: string; testid?: string; description?: Child }>> = (p) => (
  <dialog id={p.id} class="dialog" aria-labelledby={`${p.id}-title`} data-testid={p.testid}>
    <div class="dialog-head">
      <h2 id={`${p.id}-title`}>{p.title}</h2>
      <button type="button" class="btn btn-icon" data-close-dialog aria-label="Close">
        ×
      </button>
    </div>
    {p.description ? <p class="dialog-text">{p.description}</p> : null}
    {p.children}
  </dialog>
);
