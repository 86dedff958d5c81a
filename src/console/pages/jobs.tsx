// Ingest jobs: the list by status, one job's progress, result or error, and cancelling a job that
// is still pending or running.
import { JOB_STATUSES } from "../../jobs/states.ts";
import { must, query } from "../api.ts";
import { ApiButton } from "../components/forms.tsx";
import { Badge, Card, Code, Empty, Facts, Notice, Pager, TableWrap, Time } from "../components/ui.tsx";
import { json } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { Job, Page } from "../types.ts";

const open = (j: Job) => j.status === "pending" || j.status === "running";

const CancelButton = ({ j }: { j: Job }) => (
  <ApiButton api={`POST /v1/jobs/${j.id}/cancel`} tone="danger" testid="job-cancel" confirm="Cancel this job? The ingest origin is told to stop." label={`Cancel job ${j.id}`}>
    Cancel
  </ApiButton>
);

export const jobsPage: PageFn = async ({ api, viewer, url, now }) => {
  const status = url.searchParams.get("status") ?? "";
  const known = (JOB_STATUSES as readonly string[]).includes(status);
  const list = must(await api<Page<Job>>("GET", `/v1/jobs${query({ status: known ? status : undefined, limit: 50, cursor: url.searchParams.get("cursor") })}`));
  const body = (
    <Card>
      <form method="get" class="filters" aria-label="Filter jobs">
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            {JOB_STATUSES.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="btn btn-plain">
          Apply
        </button>
      </form>
      {list.data.length === 0 ? (
        <Empty title={known ? `No ${status} jobs` : "No jobs yet"}>Jobs are created by POST /v1/ingest with a key that has jobs:write; their progress shows here.</Empty>
      ) : (
        <TableWrap label="Jobs">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Source</th>
                <th scope="col">Route</th>
                <th scope="col">Created</th>
                <th scope="col">Finished</th>
                {viewer.canCancelJobs ? (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((j) => (
                <tr data-testid={`row-${j.id}`}>
                  <td>
                    <a href={`/console/jobs/${j.id}`} class="mono">
                      {j.id}
                    </a>
                  </td>
                  <td>
                    <Badge state={j.status} />
                  </td>
                  <td class="clip">{j.source}</td>
                  <td>{j.route}</td>
                  <td>
                    <Time iso={j.createdAt} now={now} />
                  </td>
                  <td>
                    <Time iso={j.finishedAt} empty="—" now={now} />
                  </td>
                  {viewer.canCancelJobs ? <td>{open(j) ? <CancelButton j={j} /> : null}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager url={url} nextCursor={list.nextCursor} />
    </Card>
  );
  return { title: "Jobs", nav: "jobs", body };
};

export const jobPage: PageFn = async ({ api, viewer, now, c }) => {
  const j = must(await api<Job>("GET", `/v1/jobs/${encodeURIComponent(c.req.param("id") ?? "")}`));
  const body = (
    <>
      {j.error ? <Notice title="Failed." detail={j.error} /> : null}
      <Card title="Job" id="job-facts">
        <Facts
          items={[
            ["Status", <Badge state={j.status} />],
            ["Id", <Code value={j.id} />],
            ["Source", j.source],
            ["Route", j.route],
            ["Key", <a href={`/console/keys/${j.keyId}`} class="mono">{j.keyId}</a>],
            ["Request id", j.requestId ? <Code value={j.requestId} /> : "—"],
            ["Created", <Time iso={j.createdAt} now={now} />],
            ["Started", <Time iso={j.startedAt} empty="not yet" now={now} />],
            ["Finished", <Time iso={j.finishedAt} empty="not yet" now={now} />],
          ]}
        />
      </Card>
      <div class="grid-2">
        <Card title="Progress" id="job-progress">
          {j.progress ? <pre class="json">{json(j.progress)}</pre> : <Empty title="No progress reported">The ingest origin reports progress as it works.</Empty>}
        </Card>
        <Card title="Result" id="job-result">
          {j.result ? <pre class="json">{json(j.result)}</pre> : <Empty title="No result yet">It appears when the job completes.</Empty>}
        </Card>
      </div>
    </>
  );
  return { title: `Job ${j.id}`, nav: "jobs", body, actions: viewer.canCancelJobs && open(j) ? <CancelButton j={j} /> : undefined, lead: `${j.route} · ${j.source}` };
};
