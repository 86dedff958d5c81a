// A local stand-in for Cloudflare Access (Node side): RS256 keys, their public halves at
// GET /cdn-cgi/access/certs in Access's shape, and tokens shaped like the ones Access puts in
// `Cf-Access-Jwt-Assertion`. The gateway under test is pointed at it with
// ACCESS_TEAM_DOMAIN=http://127.0.0.1:<port>, exactly as it is pointed at a real team domain.
//
// The issuer runs in the browser suite's globalSetup, a different process from the test files.
// Those get `AccessIssuerInfo` (private JWKs included: a throwaway key of a loopback test server)
// and mint with `accessMinter(info)`; rotation goes through the issuer's control endpoint, so the
// served key set changes in the process that serves it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";

export type IssuerKey = { kid: string; privateJwk: JWK };

/** What a test file needs to mint tokens and rotate keys; serialisable, for vitest's provide(). */
export type AccessIssuerInfo = {
  /** ACCESS_TEAM_DOMAIN: the `iss` of every token, and where the certs are. */
  teamDomain: string;
  certsUrl: string;
  /** ACCESS_AUD: the application's audience tag, the default `aud`. */
  aud: string;
  /** Signing keys, current first, as they were when the info was taken. */
  keys: IssuerKey[];
  /** POST: add a key (answers its IssuerKey); DELETE …/<kid>: stop publishing one. */
  controlUrl: string;
};

export type MintOptions = {
  email: string;
  /** Defaults to the issuer's audience; Access sends an array of one. */
  aud?: string | string[];
  /** Seconds from now (negative: already expired), or a jose time span ("5m"). Default 5 minutes. */
  expiresIn?: number | string;
  /** Which key signs (default the current one); an unknown kid is signed with the current key. */
  kid?: string;
  iss?: string;
  sub?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  /** Anything else to put in the payload, or to override (e.g. `{ email: undefined }`). */
  claims?: Record<string, unknown>;
};

export type AccessIssuer = AccessIssuerInfo & {
  info(): AccessIssuerInfo;
  /** Makes a new key, publishes it next to the others and makes it current. */
  addKey(): Promise<IssuerKey>;
  /** Stops publishing a key (tokens it signed no longer verify once the gateway refetches). */
  removeKey(kid: string): void;
  mintAccessJwt(opts: MintOptions): Promise<string>;
  close(): Promise<void>;
};

const PUBLIC_MEMBERS = ["kty", "n", "e"] as const;

export async function newIssuerKey(): Promise<IssuerKey> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `kg-test-${crypto.randomUUID()}`;
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" } };
}

/** The public JWK of a key, as Access lists it. */
export function publicJwk(key: IssuerKey): JWK {
  const jwk: JWK = { kid: key.kid, alg: "RS256", use: "sig" };
  for (const member of PUBLIC_MEMBERS) jwk[member] = key.privateJwk[member];
  return jwk;
}

/** The body of GET /cdn-cgi/access/certs. Access also sends PEM certificates; jose needs only `keys`. */
export function certsBody(keys: IssuerKey[]) {
  return {
    keys: keys.map(publicJwk),
    public_cert: { kid: keys[0]?.kid },
    public_certs: keys.map((k) => ({ kid: k.kid })),
  };
}

/** A token as Access issues it, signed with `key`. */
export async function signAccessJwt(key: IssuerKey, defaults: { iss: string; aud: string }, opts: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = opts.iat ?? now;
  const exp = typeof opts.expiresIn === "number" ? iat + opts.expiresIn : (opts.expiresIn ?? "5m");
  const payload: Record<string, unknown> = {
    email: opts.email,
    type: "app",
    identity_nonce: crypto.randomUUID(),
    country: "XX",
    ...opts.claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(opts.iss ?? defaults.iss)
    .setAudience(opts.aud ?? [defaults.aud])
    .setSubject(opts.sub ?? `sub-${opts.email}`)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp);
  return jwt.sign(await importJWK(key.privateJwk, "RS256"));
}

function pick(keys: IssuerKey[], kid: string | undefined): IssuerKey {
  const key = keys.find((k) => k.kid === kid) ?? keys[0];
  if (!key) throw new Error("the Access issuer has no keys");
  return key;
}

/** Starts the issuer on 127.0.0.1 (a free port unless given) with one key. */
export async function startAccessIssuer(opts: { aud?: string; port?: number } = {}): Promise<AccessIssuer> {
  let keys: IssuerKey[] = [await newIssuerKey()];
  const aud = opts.aud ?? `kg-test-aud-${crypto.randomUUID().replaceAll("-", "")}`;
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const teamDomain = `http://127.0.0.1:${port}`;
  const controlUrl = `${teamDomain}/__issuer/keys`;

  const addKey = async () => {
    const key = await newIssuerKey();
    keys = [key, ...keys];
    return key;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", teamDomain);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json", "cache-control": "no-store" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    req.resume();
    if (req.method === "GET" && url.pathname === "/cdn-cgi/access/certs") return send(200, certsBody(keys));
    // The Worker's tests run inside workerd, away from this process: they fetch what they mint with.
    if (req.method === "GET" && url.pathname === "/__issuer/info") return send(200, info());
    if (req.method === "POST" && url.pathname === "/__issuer/keys") return send(201, await addKey());
    const retire = /^\/__issuer\/keys\/([\w-]+)$/.exec(url.pathname);
    if (req.method === "DELETE" && retire) {
      keys = keys.filter((k) => k.kid !== retire[1]);
      return send(204);
    }
    send(404, { error: "not found" });
  }

  // Keep-alive sockets (the gateway's fetches) would hold close() open.
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  const closeServer = (s: Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  const info = (): AccessIssuerInfo => ({ teamDomain, certsUrl: `${teamDomain}/cdn-cgi/access/certs`, aud, keys: [...keys], controlUrl });
  return {
    ...info(),
    info,
    addKey,
    removeKey: (kid) => void (keys = keys.filter((k) => k.kid !== kid)),
    mintAccessJwt: (mint) => signAccessJwt(pick(keys, mint.kid), { iss: teamDomain, aud }, mint),
    close: () => closeServer(server),
  };
}

/** Minting and rotation for a test file, from the info the issuer's process provided. */
export function accessMinter(info: AccessIssuerInfo) {
  let keys = [...info.keys];
  return {
    info,
    get kids() {
      return keys.map((k) => k.kid);
    },
    mintAccessJwt: (opts: MintOptions) => signAccessJwt(pick(keys, opts.kid), { iss: info.teamDomain, aud: info.aud }, opts),
    /** Publishes a new key at the issuer and makes it this minter's current one; answers its kid. */
    async rotate(): Promise<string> {
      const res = await fetch(info.controlUrl, { method: "POST" });
      if (res.status !== 201) throw new Error(`Access issuer: adding a key answered ${res.status}`);
      const key = (await res.json()) as IssuerKey;
      keys = [key, ...keys];
      return key.kid;
    },
    /** Stops the issuer publishing a key; this minter can still sign with it (a stale token). */
    async retire(kid: string): Promise<void> {
      const res = await fetch(`${info.controlUrl}/${encodeURIComponent(kid)}`, { method: "DELETE" });
      if (res.status !== 204) throw new Error(`Access issuer: retiring ${kid} answered ${res.status}`);
    },
  };
}
