// The job state machine. Transitions happen only through guarded UPDATEs (WHERE status IN from),
// so two racing reports cannot both move a job, and an illegal one changes nothing (409).
export const JOB_STATUSES = ["pending", "running", "completed", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** For each target state, the states a job may be in to move there. */
export const ALLOWED_FROM: Record<JobStatus, readonly JobStatus[]> = {
  pending: [],
  // running → running is a progress report.
  running: ["pending", "running"],
  completed: ["running"],
  // An origin may refuse a job before starting it.
  failed: ["pending", "running"],
  cancelled: ["pending", "running"],
};

export const TERMINAL: readonly JobStatus[] = ["completed", "failed", "cancelled"];
