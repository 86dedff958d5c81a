ALTER TABLE `api_keys` ADD `deleted_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `deleted_by` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `email` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `description` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `tenant_rate_limit_capacity` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `tenant_rate_limit_refill_per_second` real;