// vitest globalSetup of the "browser" project (runs in vitest's own process, once): the local
// Cloudflare Access issuer, and one gateway for every browser test file, trusting that issuer.
// vitest runs every project's globalSetup, one after another, before any test: this one does not
// wait for the gateway (half a minute of `npm run dev`), only for the dev script to be past
// writing .dev.vars (which the Node project's own `npm run dev` tests would otherwise race on a fresh
// clone). The test files run elsewhere and get what they need through provide()/inject(): the
// issuer's details, its keys included (they mint their own tokens: accessMinter), and a loopback
// URL that answers the gateway's URL and platform key once it is ready (suiteGateway).
// Without a Chromium no gateway is started: the tests that would use it are skipped, and this says so once.
import type { TestProject } from "vitest/node";
import { startAccessIssuer } from "../support/access-issuer.ts";
import { findChromium, NO_CHROMIUM_WARNING } from "../support/browser.ts";
import { launchGateway, serveGatewayStatus, type LaunchedGateway } from "../support/gateway-server.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromium = findChromium();
  if (!chromium) console.warn(NO_CHROMIUM_WARNING);
  const issuer = await startAccessIssuer();
  let gateway: LaunchedGateway | undefined;
  let status: Awaited<ReturnType<typeof serveGatewayStatus>> | undefined;
  const teardown = async () => {
    await status?.close();
    await gateway?.stop();
    await issuer.close();
  };
  try {
    if (chromium) {
      gateway = await launchGateway({ access: { teamDomain: issuer.teamDomain, aud: issuer.aud } });
      await gateway.started;
      status = await serveGatewayStatus(gateway.ready);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  project.provide("keygateAccess", issuer.info());
  project.provide("keygateGatewayStatus", status?.url ?? null);
  return teardown;
}
