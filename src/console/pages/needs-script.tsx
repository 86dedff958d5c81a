// Where the console's forms post when their script did not run (blocked, or still loading): nothing
// is changed, and the page says why instead of failing silently.
import type { Context } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { Bare } from "../layout.tsx";
import { html } from "../page.tsx";

export async function needsScript(c: Context<AppEnv>): Promise<Response> {
  return html(
    c,
    <Bare title="Nothing was changed">
      <div class="card narrow">
        <h1>Nothing was changed</h1>
        <p>The console makes changes with a small script of its own, and it did not run in this browser. Allow scripts from this site, reload the page and try again.</p>
        <p>
          <a href="/console">Back to the console</a>
        </p>
      </div>
    </Bare>,
    400,
  );
}
