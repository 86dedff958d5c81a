CREATE TABLE `usage_daily` (
	`key_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`day` text NOT NULL,
	`route` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`refused` integer DEFAULT 0 NOT NULL,
	`status_2xx` integer DEFAULT 0 NOT NULL,
	`status_3xx` integer DEFAULT 0 NOT NULL,
	`status_4xx` integer DEFAULT 0 NOT NULL,
	`status_5xx` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key_id`, `day`, `route`)
);
--> statement-breakpoint
CREATE INDEX `usage_daily_tenant_day_idx` ON `usage_daily` (`tenant_id`,`day`);--> statement-breakpoint
CREATE TABLE `usage_flushes` (
	`key_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`key_id`, `seq`)
);
--> statement-breakpoint
ALTER TABLE `api_keys` ADD `total_requests` integer DEFAULT 0 NOT NULL;