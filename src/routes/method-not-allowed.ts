// For a 405 instead of a 404 when the path exists with another method.
type RouteEntry = { method: string; path: string };

const patternCache = new Map<string, RegExp>();

function matcher(path: string): RegExp {
  let re = patternCache.get(path);
  if (!re) {
    re = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]\w*/g, "[^/]+")}$`);
    patternCache.set(path, re);
  }
  return re;
}

/** The methods the path allows, or null when no route has this path at all. */
export function methodNotAllowed(routes: RouteEntry[], method: string, path: string): string[] | null {
  const allowed = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue; // middleware, not endpoints
    if (matcher(r.path).test(path)) allowed.add(r.method);
  }
  if (allowed.size === 0 || allowed.has(method)) return null;
  return [...allowed].sort();
}
