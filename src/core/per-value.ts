// Configuration arrives as strings (or JSON) on every request's env, and is the same value for the
// isolate's whole life. Each setting is parsed and validated once per value: the first request
// pays for it, the rest compare one reference.

/** A setting that could not be used. The message names the setting and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(setting: string, problem: string) {
    super(`${setting}: ${problem}`);
  }
}

/** `parse` runs again only when the raw value changes (a new deploy or a test's own env). */
export function perValue<R, T>(parse: (raw: R) => T): (raw: R) => T {
  let last: { raw: R; value: T } | null = null;
  return (raw) => {
    if (last && last.raw === raw) return last.value;
    const value = parse(raw);
    last = { raw, value };
    return value;
  };
}
