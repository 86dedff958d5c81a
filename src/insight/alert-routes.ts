import type { Endpoint } from "../http/route.ts";

export const alertRoutes: Endpoint[] = [];
