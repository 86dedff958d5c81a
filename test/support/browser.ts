// The browser suite's helpers (test/browser/**): Debian's Chromium driven by playwright-core,
// pages watched for console errors, uncaught exceptions and Content Security Policy violations,
// full-page screenshots in test-artifacts/screenshots/, and the gateway the suite's globalSetup
// (test/setup/browser-gateway.ts) started. Without a Chromium the suite is skipped, with one warning
// from the globalSetup; a KEYGATE_CHROMIUM that names nothing runnable is an error instead (CI sets it).
import { accessSync, constants, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Response } from "playwright-core";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { suiteGateway, type BrowserGateway } from "./gateway-server.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const SCREENSHOTS = path.join(ROOT, "test-artifacts", "screenshots");
export const INSTALL_HINT = "apt-get install -y --no-install-recommends chromium";
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

const runnable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** KEYGATE_CHROMIUM (which must then exist), else Debian's chromium, else undefined. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.KEYGATE_CHROMIUM;
  if (chosen) {
    if (!runnable(chosen)) throw new Error(`KEYGATE_CHROMIUM=${chosen} is not an executable file (unset it, or: ${INSTALL_HINT})`);
    return chosen;
  }
  return CANDIDATES.find(runnable);
}

/** The one line said when there is no Chromium. */
export const NO_CHROMIUM_WARNING = `vitest: no Chromium (KEYGATE_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): the browser tests (test/browser/) are skipped. Install Debian's: ${INSTALL_HINT}`;

let found: string | undefined | null = null;
/** The Chromium the suite uses, found once per process. */
export function chromiumPath(): string | undefined {
  if (found === null) found = findChromium();
  return found;
}

/** describe() for tests that need a browser: skipped (the globalSetup said why, once) without one. */
export function describeBrowser(name: string, fn: () => void): void {
  describe.skipIf(chromiumPath() === undefined)(name, fn);
}

export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(`no Chromium: ${INSTALL_HINT}`);
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** The gateway the suite's globalSetup started (only when there is a Chromium), once it is ready. */
export function keygate(): Promise<BrowserGateway> {
  const status = inject("keygateGatewayStatus");
  if (!status) throw new Error("the browser suite started no gateway (no Chromium): use describeBrowser()");
  return suiteGateway(status);
}

/** What went wrong on a page while it was watched. */
export type PageReport = {
  /** console.error lines, and Chromium's own (a failed load, a refused resource), with where. */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections. */
  pageErrors: string[];
  /** `securitypolicyviolation` events (enforced and report-only) and Chromium's console lines about them. */
  cspViolations: string[];
  /** All of the above, one line each: a test expects `[]`. */
  problems(): string[];
};

// Registered before any page script runs, and reported through a binding rather than a page
// global, so a page's own CSP cannot block the report and a navigation does not lose it.
const CSP_LISTENER = `document.addEventListener("securitypolicyviolation", (e) => {
  window.__kgCspViolation?.({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, disposition: e.disposition, sample: e.sample });
}, true);`;

// Chromium's wording: "Refused to load/execute/frame …", "Applying inline style violates …",
// "Evaluating a string as JavaScript violates the following Content Security Policy directive …".
const CSP_MESSAGE = /^Refused to |Content Security Policy/;
const activity = new WeakMap<Page, { inFlight: number; last: number }>();

type Violation = { directive: string; blocked: string; source: string; line: number; disposition: string; sample: string };

/** Starts collecting a page's console errors, exceptions and CSP violations. */
export async function watchPage(page: Page): Promise<PageReport> {
  const report: PageReport = {
    consoleErrors: [],
    pageErrors: [],
    cspViolations: [],
    problems: () => [...report.consoleErrors, ...report.pageErrors, ...report.cspViolations],
  };
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const { url, lineNumber } = message.location();
    const line = `${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`;
    (CSP_MESSAGE.test(message.text()) ? report.cspViolations : report.consoleErrors).push(line);
  });
  const traffic = { inFlight: 0, last: Date.now() };
  activity.set(page, traffic);
  page.on("request", () => {
    traffic.inFlight++;
    traffic.last = Date.now();
  });
  const finished = () => {
    traffic.inFlight = Math.max(0, traffic.inFlight - 1);
    traffic.last = Date.now();
  };
  page.on("requestfinished", finished);
  page.on("requestfailed", finished);
  page.on("pageerror", (error) => report.pageErrors.push(`uncaught: ${error.stack ?? error.message}`));
  await page.exposeBinding("__kgCspViolation", (_source, v: Violation) => {
    const where = v.source ? ` at ${v.source}:${v.line}` : "";
    report.cspViolations.push(`CSP ${v.disposition === "report" ? "report-only " : ""}violation: ${v.directive} blocked ${v.blocked || "(inline)"}${where}${v.sample ? ` [${v.sample}]` : ""}`);
  });
  await page.addInitScript({ content: CSP_LISTENER });
  return report;
}

export type OpenOptions = {
  /** A Cloudflare Access token: sent as Cf-Access-Jwt-Assertion, as Access does in front of the app. */
  accessJwt?: string;
  /** Also set Access's CF_Authorization cookie with it (default true, as Access does). */
  accessCookie?: boolean;
};

export type OpenedPage = { context: BrowserContext; page: Page; report: PageReport };

/** A fresh context (its own cookies) on the gateway with one watched page. */
export async function newWatchedPage(browser: Browser, baseUrl: string, opts: OpenOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    extraHTTPHeaders: opts.accessJwt ? { "Cf-Access-Jwt-Assertion": opts.accessJwt } : {},
  });
  if (opts.accessJwt && opts.accessCookie !== false) {
    await context.addCookies([{ name: "CF_Authorization", value: opts.accessJwt, url: baseUrl, httpOnly: true, sameSite: "Lax" }]);
  }
  const page = await context.newPage();
  return { context, page, report: await watchPage(page) };
}

/**
 * Waits, at most `maxMs`, for a watched page to have had no request in flight for `quietMs`: the
 * page's scripts have fetched what they render. Unlike Playwright's "networkidle" it never fails a
 * test by itself (a page that keeps a request open just takes `maxMs`); assert on what the page shows.
 */
export async function settle(page: Page, { quietMs = 300, maxMs = 5_000 } = {}): Promise<void> {
  const traffic = activity.get(page);
  if (!traffic) throw new Error("settle(): watch the page first (watchPage, newWatchedPage or useBrowser().open)");
  const until = Date.now() + maxMs;
  while (Date.now() < until && (traffic.inFlight > 0 || Date.now() - traffic.last < quietMs)) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Saves a full-page screenshot to test-artifacts/screenshots/<name>.png; answers its path. `mask`:
 * what to paint over (a secret on screen has no business in an artifact).
 */
export async function screenshot(page: Page, name: string, opts: { mask?: Locator[] } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, "-")}.png`);
  await page.screenshot({ path: file, fullPage: true, mask: opts.mask });
  return file;
}

/** The gateway's API called from the test with a key: {status, body} (body parsed when JSON). */
export function keyApi(baseUrl: string, key: string) {
  return async (method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(baseUrl + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: /json/.test(res.headers.get("content-type") ?? "") && text ? JSON.parse(text) : text };
  };
}

/**
 * For a test file: one Chromium for the file (launched in beforeAll while the gateway gets ready,
 * closed with its contexts in afterAll), the gateway, and `open(path)`, a fresh watched page on it.
 * Call inside describeBrowser().
 */
export function useBrowser() {
  let browser: Browser | undefined;
  let gateway: BrowserGateway | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    const launched = launchChromium();
    try {
      gateway = await keygate();
    } finally {
      browser = await launched;
    }
  }, 200_000);
  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
  });
  return {
    get browser(): Browser {
      if (!browser) throw new Error("useBrowser(): the browser is launched in beforeAll");
      return browser;
    },
    /** The suite's gateway: { baseUrl, platformKey }. */
    get gateway(): BrowserGateway {
      if (!gateway) throw new Error("useBrowser(): the gateway is awaited in beforeAll");
      return gateway;
    },
    /** A new context and page, at `pathname` of the gateway once it has loaded. */
    async open(pathname: string, opts: OpenOptions = {}): Promise<OpenedPage & { response: Response }> {
      const opened = await newWatchedPage(this.browser, this.gateway.baseUrl, opts);
      contexts.push(opened.context);
      const response = await opened.page.goto(pathname, { waitUntil: "load" });
      if (!response) throw new Error(`no response for ${pathname}`);
      return { ...opened, response };
    },
  };
}
