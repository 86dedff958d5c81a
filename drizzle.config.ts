import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./src/db/schema.ts", "./src/db/analytics-schema.ts", "./src/db/alerts-schema.ts", "./src/db/people-schema.ts"],
  out: "./migrations",
  // Flat NNNN_name.sql files: what `wrangler d1 migrations apply` and readD1Migrations both read.
  migrations: { prefix: "index" },
});
