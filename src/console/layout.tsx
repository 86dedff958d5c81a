// Every signed-in page: head (assets from the Worker itself, nothing from elsewhere), a skip link,
// the header with who is signed in, the navigation (a <details> on narrow screens, so it collapses
// without script), one alert region the client scripts speak through, and the shared dialogs.
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { Badge } from "./components/ui.tsx";
import type { Viewer } from "./viewer.ts";

export type NavId = "overview" | "tenants" | "keys" | "audit" | "jobs" | "alerts" | "operators" | "none";

type NavItem = { id: NavId; href: string; label: string };

function navItems(v: Viewer): NavItem[] {
  const items: NavItem[] = [{ id: "overview", href: "/console", label: "Overview" }];
  if (v.platform) items.push({ id: "tenants", href: "/console/tenants", label: "Tenants" });
  else if (v.tenantId) items.push({ id: "tenants", href: `/console/tenants/${v.tenantId}`, label: "Tenant" });
  items.push({ id: "keys", href: "/console/keys", label: "Keys" });
  items.push({ id: "audit", href: "/console/audit", label: "Audit log" });
  if (v.canReadJobs) items.push({ id: "jobs", href: "/console/jobs", label: "Jobs" });
  items.push({ id: "alerts", href: "/console/alerts", label: "Alerts" });
  if (v.canSeeOperators) items.push({ id: "operators", href: "/console/operators", label: "Operators" });
  return items;
}

const NavList: FC<{ items: NavItem[]; current: NavId }> = ({ items, current }) => (
  <ul>
    {items.map((i) => (
      <li>
        <a href={i.href} aria-current={i.id === current ? "page" : undefined}>
          {i.label}
        </a>
      </li>
    ))}
  </ul>
);

export const Head: FC<{ title: string; csrf?: string | null; charts?: boolean }> = (p) => (
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="referrer" content="same-origin" />
    {p.csrf ? <meta name="csrf-token" content={p.csrf} /> : null}
    <title>{`${p.title} · keygate`}</title>
    <link rel="icon" href="/assets/console/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="/assets/console/console.css" />
    {p.charts ? <link rel="stylesheet" href="/assets/vendor/uplot/uPlot.min.css" /> : null}
    {p.charts ? <script defer src="/assets/vendor/uplot/uPlot.iife.min.js"></script> : null}
    <script type="module" src="/assets/console/console.js"></script>
    {p.charts ? <script type="module" src="/assets/console/charts.js"></script> : null}
  </head>
);

const SignOut: FC<{ viewer: Viewer }> = ({ viewer }) =>
  viewer.signOut === "session" ? (
    <form method="post" action="/console/sign-out" class="signout">
      <input type="hidden" name="csrf" value={viewer.csrf ?? ""} />
      <button type="submit" class="btn btn-plain btn-small" data-testid="signout">
        Sign out
      </button>
    </form>
  ) : (
    <a class="btn btn-plain btn-small" href="/cdn-cgi/access/logout" data-testid="signout">
      Sign out
    </a>
  );

export const Header: FC<{ viewer: Viewer; nav: NavId }> = ({ viewer, nav }) => {
  const items = navItems(viewer);
  return (
    <header class="top">
      <div class="top-inner">
        <a class="brand" href="/console">
          <img src="/assets/console/icon.svg" alt="" width={22} height={22} />
          <span>keygate</span>
        </a>
        <nav class="nav-wide" aria-label="Main">
          <NavList items={items} current={nav} />
        </nav>
        <div class="who" data-testid="whoami">
          <span class="who-name" title={viewer.who}>
            {viewer.who}
          </span>
          <Badge state={viewer.canWrite ? "info" : "muted"} label={viewer.role} />
          {viewer.tenantName ? <span class="who-tenant">{viewer.platform ? "all tenants" : viewer.tenantName}</span> : null}
          <SignOut viewer={viewer} />
        </div>
        <details class="nav-narrow">
          <summary>Menu</summary>
          <nav aria-label="Main (menu)">
            <NavList items={items} current={nav} />
          </nav>
        </details>
      </div>
    </header>
  );
};

/** The generic confirmation and the show-once secret dialog; filled by console.js. */
const SharedDialogs: FC = () => (
  <>
    <dialog id="confirm-dialog" class="dialog" aria-labelledby="confirm-dialog-title" data-testid="confirm-dialog">
      <h2 id="confirm-dialog-title">Are you sure?</h2>
      <p class="dialog-text" data-confirm-text></p>
      <div class="actions">
        <button type="button" class="btn btn-plain" data-confirm-cancel data-testid="confirm-cancel">
          Cancel
        </button>
        <button type="button" class="btn btn-danger" data-confirm-ok data-testid="confirm-ok">
          Confirm
        </button>
      </div>
    </dialog>
    <dialog id="secret-dialog" class="dialog" aria-labelledby="secret-dialog-title" aria-describedby="secret-dialog-text" data-testid="key-secret-dialog">
      <h2 id="secret-dialog-title">Copy the new secret now</h2>
      <p class="dialog-text" id="secret-dialog-text">
        This is the only time it is shown: keygate keeps only its hash. Closing this dialog or reloading the page makes it disappear.
      </p>
      <p class="secret-name" data-secret-name></p>
      <div class="secret-row">
        <code class="secret mono" id="secret-value" tabindex={0} data-testid="key-secret" aria-label="Secret"></code>
        <button type="button" class="btn btn-primary" data-copy-secret data-testid="key-secret-copy">
          Copy
        </button>
      </div>
      <p class="copy-status" role="status" aria-live="polite" data-copy-status></p>
      <div class="actions">
        <a class="btn btn-plain" href="#" data-secret-link hidden>
          Open its page
        </a>
        <button type="button" class="btn btn-primary" data-close-dialog data-testid="key-secret-done">
          I have stored it
        </button>
      </div>
    </dialog>
  </>
);

export const Layout: FC<PropsWithChildren<{ title: string; viewer: Viewer; nav: NavId; charts?: boolean; actions?: Child; lead?: Child }>> = (p) => (
  <html lang="en">
    <Head title={p.title} csrf={p.viewer.csrf} charts={p.charts} />
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header viewer={p.viewer} nav={p.nav} />
      <main id="main" tabindex={-1}>
        <div class="page-head">
          <div>
            <h1>{p.title}</h1>
            {p.lead ? <p class="lead">{p.lead}</p> : null}
          </div>
          {p.actions ? <div class="page-actions">{p.actions}</div> : null}
        </div>
        <div id="flash" class="flash" role="alert" aria-live="assertive" data-testid="flash"></div>
        {p.children}
      </main>
      <footer class="foot">
        <span>keygate console</span>
        <a href="/docs">API reference</a>
      </footer>
      {p.viewer.canWrite ? <SharedDialogs /> : null}
    </body>
  </html>
);

/** Pages for nobody signed in yet: sign-in, and what a signed-out visitor may see. */
export const Bare: FC<PropsWithChildren<{ title: string }>> = (p) => (
  <html lang="en">
    <Head title={p.title} />
    <body class="bare">
      <main id="main" class="bare-main">
        {p.children}
      </main>
    </body>
  </html>
);
