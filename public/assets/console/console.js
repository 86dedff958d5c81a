// keygate console: the writes. Forms and buttons marked data-api call the /v1 API with the session
// cookie and the session's CSRF token, then reload (or show a secret once, or go to a page).
// A secret returned by the API lives only in the dialog's text until it closes: never in storage,
// the URL, or anything the server rendered.

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/** One API call; resolves to {ok, status, data} whatever the answer. */
async function api(method, path, body) {
  const headers = { accept: "application/json", "x-csrf-token": csrf };
  const init = { method, credentials: "same-origin", headers, cache: "no-store" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: { title: "No connection", detail: "The gateway could not be reached; check the connection and try again." } };
  }
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: `The gateway answered ${res.status}.` };
  }
  return { ok: res.ok, status: res.status, data };
}

/** The problem's own words, plus each field error, with the field's label when there is one. */
function problemText(data, status, form) {
  const detail = data?.detail || data?.title || `The request failed (${status}).`;
  const errors = Array.isArray(data?.errors) ? data.errors : [];
  return {
    detail,
    items: errors.map((e) => {
      const field = form?.querySelector(`[name="${CSS.escape(String(e.path))}"], [name^="${CSS.escape(String(e.path).split(".")[0])}"]`);
      const label = field?.id ? form.querySelector(`label[for="${CSS.escape(field.id)}"]`)?.firstChild?.textContent?.trim() : undefined;
      if (field) field.setAttribute("aria-invalid", "true");
      return `${label || e.path}: ${e.message}`;
    }),
  };
}

function render(region, { detail, items }, tone = "bad") {
  region.className = `notice notice-${tone}`;
  region.replaceChildren(document.createTextNode(detail));
  if (items?.length) {
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item;
      ul.append(li);
    }
    region.append(ul);
  }
  region.hidden = false;
}

/** The page's alert region (outside dialogs). */
function flash(message, tone = "bad") {
  const region = document.getElementById("flash");
  if (!region) return;
  render(region, message, tone);
  region.scrollIntoView({ block: "nearest" });
}

/** A form's own alert region: inside its dialog, where a modal keeps the focus. */
function formError(form, message) {
  let region = form.querySelector(":scope > .form-error");
  if (!region) {
    region = document.createElement("div");
    region.className = "form-error";
    region.setAttribute("role", "alert");
    region.dataset.testid = "form-error";
    form.prepend(region);
  }
  render(region, message);
  region.classList.add("form-error");
  region.scrollIntoView({ block: "nearest" });
}

// ---- reading a form as JSON ----

function changed(el) {
  if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
  if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
  return el.value !== el.defaultValue;
}

function read(el, empty) {
  const raw = el.value.trim();
  if (raw === "") return empty;
  switch (el.dataset.kind) {
    case "int":
      return Number.parseInt(raw, 10);
    case "number":
      return Number(raw);
    case "bool":
      return raw === "true";
    case "datetime":
      // datetime-local, read as UTC (the console shows expiries in UTC).
      return new Date(`${raw.length === 16 ? `${raw}:00` : raw}Z`).toISOString();
    case "list":
      return raw.split(/[\s,]+/).filter(Boolean);
    default:
      return raw;
  }
}

function groupValue(els, empty) {
  if (els.every((el) => el.type === "checkbox")) {
    const values = els.filter((el) => el.checked).map((el) => el.value);
    return values.length > 0 ? values : empty === null ? [] : undefined;
  }
  if (els.length === 1 && !els[0].name.includes(".")) return read(els[0], empty);
  // name.sub fields make one object; it is empty when none of its typed-in fields is filled.
  const typed = els.filter((el) => el.tagName !== "SELECT");
  if (typed.every((el) => el.value.trim() === "")) return empty;
  const obj = {};
  for (const el of els) {
    const v = read(el, undefined);
    if (v !== undefined) obj[el.name.split(".").slice(1).join(".")] = v;
  }
  return obj;
}

function formBody(form) {
  const empty = form.dataset.empty === "null" ? null : undefined;
  const changedOnly = form.dataset.changedOnly === "true";
  const groups = new Map();
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === "submit" || el.type === "button") continue;
    const top = el.name.split(".")[0];
    if (!groups.has(top)) groups.set(top, []);
    groups.get(top).push(el);
  }
  const body = {};
  for (const [top, els] of groups) {
    if (changedOnly && !els.some(changed)) continue;
    const value = groupValue(els, empty);
    if (value !== undefined) body[top] = value;
  }
  return body;
}

// ---- after a success ----

const dialogs = () => [...document.querySelectorAll("dialog[open]")];

function showSecret(data) {
  const dialog = document.getElementById("secret-dialog");
  const secret = data?.key ?? data?.secret;
  if (!dialog || typeof secret !== "string") return location.reload();
  for (const d of dialogs()) d.close();
  dialog.querySelector("#secret-value").textContent = secret;
  dialog.querySelector("[data-secret-name]").textContent = data.name ? `For ${data.name}` : "";
  dialog.querySelector("[data-copy-status]").textContent = "";
  const link = dialog.querySelector("[data-secret-link]");
  const page = data.id?.startsWith("key_") ? `/console/keys/${data.id}` : data.id?.startsWith("alr_") ? `/console/alerts/${data.id}` : null;
  if (page && location.pathname !== page) {
    link.href = page;
    link.hidden = false;
  }
  dialog.addEventListener(
    "close",
    () => {
      // Gone from the page for good, then the page shows the new state.
      dialog.querySelector("#secret-value").textContent = "";
      location.reload();
    },
    { once: true },
  );
  dialog.showModal();
  dialog.querySelector("[data-copy-secret]").focus();
}

function after(then, data) {
  if (then === "secret") return showSecret(data);
  if (then?.startsWith("go:")) return location.assign(then.slice(3).replace("{id}", encodeURIComponent(data?.id ?? "")));
  location.reload();
}

function parseApi(spec) {
  const space = spec.indexOf(" ");
  return [spec.slice(0, space), spec.slice(space + 1)];
}

async function submitForm(form, submitter) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (!form.reportValidity()) return;
  const body = formBody(form);
  const [method, path] = parseApi(form.dataset.api);
  if (form.dataset.changedOnly === "true" && Object.keys(body).length === 0) {
    return formError(form, { detail: "Nothing was changed." });
  }
  if (submitter) submitter.disabled = true;
  form.setAttribute("aria-busy", "true");
  const res = await api(method, path, method === "DELETE" ? undefined : body);
  form.removeAttribute("aria-busy");
  if (submitter) submitter.disabled = false;
  if (!res.ok) return formError(form, problemText(res.data, res.status, form));
  after(form.dataset.then, res.data);
}

// ---- confirmation, in the console's own dialog ----

function confirmed(text) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return Promise.resolve(false);
  dialog.querySelector("[data-confirm-text]").textContent = text;
  return new Promise((resolve) => {
    const done = (answer) => () => {
      dialog.close();
      resolve(answer);
    };
    const ok = dialog.querySelector("[data-confirm-ok]");
    const cancel = dialog.querySelector("[data-confirm-cancel]");
    ok.onclick = done(true);
    cancel.onclick = done(false);
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
    cancel.focus();
  });
}

async function clickButton(button) {
  if (button.dataset.confirm && !(await confirmed(button.dataset.confirm))) return;
  const [method, path] = parseApi(button.dataset.api);
  button.disabled = true;
  const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
  const res = await api(method, path, body);
  button.disabled = false;
  if (!res.ok) return flash(problemText(res.data, res.status));
  after(button.dataset.then, res.data);
}

// ---- copying the secret ----

async function copySecret(button) {
  const dialog = button.closest("dialog");
  const code = dialog.querySelector("#secret-value");
  const status = dialog.querySelector("[data-copy-status]");
  try {
    await navigator.clipboard.writeText(code.textContent);
    status.textContent = "Copied to the clipboard.";
  } catch {
    // No clipboard permission (or not a secure context): select it for Ctrl+C / ⌘C.
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    code.focus();
    status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
  }
}

// ---- wiring ----

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  submitForm(form, event.submitter);
});

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const opener = target?.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    dialog?.showModal();
    dialog?.querySelector("input:not([type=hidden]), select, textarea")?.focus();
    return;
  }
  const closer = target?.closest("[data-close-dialog]");
  if (closer) return closer.closest("dialog")?.close();
  const copy = target?.closest("[data-copy-secret]");
  if (copy) return copySecret(copy);
  const button = target?.closest("button[data-api]");
  if (button) clickButton(button);
});

// Exact local times on hover, beside the server's UTC ones.
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.getAttribute("datetime"));
  if (!Number.isNaN(d.getTime())) t.title = `${d.toLocaleString()} (${t.title})`;
}
