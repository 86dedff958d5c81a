// Where a rule's webhooks may go. https only; plain http to this machine (127.0.0.1, localhost,
// [::1]) only outside production, for local receivers under `npm run dev` and in tests. In
// production, https to a loopback, private or otherwise non-public address is refused too: a rule
// must not turn the gateway into a way to reach addresses its operator did not mean to expose.
// No credentials in the URL: it is shown to every admin of the tenant and kept in D1 in the clear.
import ipaddr from "ipaddr.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export const isProduction = (environment: string | undefined): boolean => environment === "production";

/** Whether the host is an IP literal outside public unicast space, or a name for this machine. */
function nonPublicHost(name: string): boolean {
  // "localhost." is "localhost": a trailing dot only says the name is fully qualified.
  const hostname = name.endsWith(".") ? name.slice(0, -1) : name;
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() !== "unicast";
}

/** Why `raw` cannot be a webhook URL under `environment`, or null when it can. */
export function webhookUrlProblem(raw: string, environment: string | undefined): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute https URL";
  }
  if (url.username || url.password) return "must not contain credentials (user:password@); put a token in the path or rely on the signature";
  const production = isProduction(environment);
  if (url.protocol === "https:") {
    return production && nonPublicHost(url.hostname) ? "must point at a public host in production" : null;
  }
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) {
    return production ? "must be https: plain http to 127.0.0.1 or localhost is allowed only outside production" : null;
  }
  return production ? "must be https" : "must be https (or http://127.0.0.1… / http://localhost… outside production)";
}

/** Only scheme, host and port: paths and queries of webhook URLs often carry a capability token. */
export function webhookOrigin(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return "(invalid)";
  }
}
