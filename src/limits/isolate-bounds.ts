// How many keys this isolate keeps per-key state for (leases, refusals, traffic, pending usage).
// Past it the state set longest ago is dropped: a dropped entry costs one object call or a few
// leased tokens that return to the bucket when the lease ends, never an admission.
export const MAX_KEYS_PER_ISOLATE = 10_000;
