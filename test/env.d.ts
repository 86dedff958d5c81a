// Test-only bindings added in vitest.config.ts.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The Node echo origin, and a loopback port nothing listens on. */
    ORIGIN_ECHO_URL: string;
    ORIGIN_DOWN_URL: string;
    /** "yes" when /v1/query and /v1/realtime-python reach the Python example origin, "" otherwise. */
    PYTHON_ORIGIN: string;
  }
}
