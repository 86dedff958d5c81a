// Small building blocks every page shares: badges, times, empty states, cards, paging.
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { absolute, relative } from "../format.ts";

type Tone = "ok" | "warn" | "bad" | "muted" | "info";

const TONES: Record<string, Tone> = {
  ok: "ok",
  warn: "warn",
  bad: "bad",
  info: "info",
  muted: "muted",
  active: "ok",
  completed: "ok",
  delivered: "ok",
  valid: "ok",
  disabled: "warn",
  pending: "info",
  running: "info",
  firing: "bad",
  revoked: "bad",
  failed: "bad",
  expired: "muted",
  deleted: "muted",
  cancelled: "muted",
  inactive: "muted",
};

/** A state as a coloured word (the word carries the meaning, the colour only helps). */
export const Badge: FC<{ state: string; label?: string }> = ({ state, label }) => (
  <span class={`badge badge-${TONES[state] ?? "muted"}`} data-state={state}>
    {label ?? state}
  </span>
);

/** Relative time for skimming, the exact instant in the title and datetime. */
export const Time: FC<{ iso: string | null | undefined; empty?: string; now?: number }> = ({ iso, empty = "never", now }) =>
  iso ? (
    <time datetime={iso} title={absolute(iso)}>
      {relative(iso, now)}
    </time>
  ) : (
    <span class="muted">{empty}</span>
  );

export const Empty: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <div class="empty" role="status">
    <p class="empty-title">{title}</p>
    {children ? <p class="empty-next">{children}</p> : null}
  </div>
);

export const Card: FC<PropsWithChildren<{ title?: string; id?: string; actions?: Child; class?: string }>> = (p) => (
  <section class={`card ${p.class ?? ""}`.trim()} aria-labelledby={p.title && p.id ? `${p.id}-h` : undefined} id={p.id}>
    {p.title ? (
      <div class="card-head">
        <h2 id={p.id ? `${p.id}-h` : undefined}>{p.title}</h2>
        {p.actions ?? null}
      </div>
    ) : null}
    {p.children}
  </section>
);

/** A figure with a name and a number, for the overview's row of totals. */
export const Stat: FC<{ label: string; value: string; note?: string; tone?: Tone; testid?: string }> = (p) => (
  <div class={`stat ${p.tone ? `stat-${p.tone}` : ""}`.trim()} data-testid={p.testid}>
    <dt>{p.label}</dt>
    <dd>
      <span class="stat-value">{p.value}</span>
      {p.note ? <span class="stat-note">{p.note}</span> : null}
    </dd>
  </div>
);

/** Horizontal scrolling on a phone instead of a squeezed table. */
export const TableWrap: FC<PropsWithChildren<{ label: string }>> = ({ label, children }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);

/** The next page of a list: the API's cursor, with the page's other filters kept. */
export const Pager: FC<{ url: URL; nextCursor: string | null }> = ({ url, nextCursor }) => {
  const hasCursor = url.searchParams.has("cursor");
  if (!nextCursor && !hasCursor) return null;
  const next = new URL(url);
  if (nextCursor) next.searchParams.set("cursor", nextCursor);
  const first = new URL(url);
  first.searchParams.delete("cursor");
  return (
    <nav class="pager" aria-label="Pages">
      {hasCursor ? <a href={first.pathname + first.search}>« First page</a> : <span />}
      {nextCursor ? (
        <a href={next.pathname + next.search} rel="next">
          Next page »
        </a>
      ) : null}
    </nav>
  );
};

/** A refusal from the API, said plainly where the data would have been. */
export const Notice: FC<{ title: string; detail: string; tone?: "bad" | "warn" | "info" }> = ({ title, detail, tone = "bad" }) => (
  <div class={`notice notice-${tone}`} role={tone === "bad" ? "alert" : "status"}>
    <strong>{title}</strong> <span>{detail}</span>
  </div>
);

/** Label/value pairs. */
export const Facts: FC<{ items: [string, Child][] }> = ({ items }) => (
  <dl class="facts">
    {items.map(([k, v]) => (
      <div>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </div>
    ))}
  </dl>
);

export const Code: FC<{ value: string }> = ({ value }) => <code class="mono">{value}</code>;
