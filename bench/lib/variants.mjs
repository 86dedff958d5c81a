// The loop ablate.mjs and stage-costs.mjs share: the bundle built once and patched once per variant
// up front (bench/lib/patches.mjs), so that a patch that no longer applies fails before anything
// is measured; then, round by round, each variant served on a fresh stack (origin and workerd).
// The unpatched bundle is put back however the loop ends.
import { readFileSync, writeFileSync } from "node:fs";
import { failpoint, say } from "./lifecycle.mjs";
import { compose } from "./patches.mjs";
import { BUILD, buildAll, startOrigin, startWorkers } from "./stack.mjs";

/** Calls `measure({ name, round, stack, origin })` for every variant in every round; `workers`: more startWorkers options. */
export async function overVariants({ names, rounds, workers = {} }, measure) {
  say("building the bundle (wrangler deploy --dry-run)");
  await buildAll();
  const file = `${BUILD}/keygate/index.js`;
  const original = readFileSync(file, "utf8");
  const patched = Object.fromEntries(names.map((name) => [name, compose(name)(original)]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const name of names) {
        writeFileSync(file, patched[name]);
        say(`round ${round} ${name}: starting the stack`);
        const origin = await startOrigin();
        const stack = await startWorkers({ originUrl: origin.url, ...workers });
        try {
          failpoint("variant");
          await measure({ name, round, stack, origin });
        } finally {
          await stack.stop();
          await origin.stop();
        }
      }
    }
  } finally {
    writeFileSync(file, original);
  }
}
