CREATE TABLE `analytics_day` (
	`bucket` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`key_id` text NOT NULL,
	`route` text NOT NULL,
	`outcome` text NOT NULL,
	`status_class` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`cost` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` real DEFAULT 0 NOT NULL,
	`h0` integer DEFAULT 0 NOT NULL,
	`h1` integer DEFAULT 0 NOT NULL,
	`h2` integer DEFAULT 0 NOT NULL,
	`h3` integer DEFAULT 0 NOT NULL,
	`h4` integer DEFAULT 0 NOT NULL,
	`h5` integer DEFAULT 0 NOT NULL,
	`h6` integer DEFAULT 0 NOT NULL,
	`h7` integer DEFAULT 0 NOT NULL,
	`h8` integer DEFAULT 0 NOT NULL,
	`h9` integer DEFAULT 0 NOT NULL,
	`h10` integer DEFAULT 0 NOT NULL,
	`h11` integer DEFAULT 0 NOT NULL,
	`h12` integer DEFAULT 0 NOT NULL,
	`h13` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `key_id`, `route`, `outcome`, `status_class`)
);
--> statement-breakpoint
CREATE INDEX `analytics_day_tenant_bucket_idx` ON `analytics_day` (`tenant_id`,`bucket`);--> statement-breakpoint
CREATE INDEX `analytics_day_key_bucket_idx` ON `analytics_day` (`key_id`,`bucket`);--> statement-breakpoint
CREATE TABLE `analytics_hour` (
	`bucket` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`key_id` text NOT NULL,
	`route` text NOT NULL,
	`outcome` text NOT NULL,
	`status_class` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`cost` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` real DEFAULT 0 NOT NULL,
	`h0` integer DEFAULT 0 NOT NULL,
	`h1` integer DEFAULT 0 NOT NULL,
	`h2` integer DEFAULT 0 NOT NULL,
	`h3` integer DEFAULT 0 NOT NULL,
	`h4` integer DEFAULT 0 NOT NULL,
	`h5` integer DEFAULT 0 NOT NULL,
	`h6` integer DEFAULT 0 NOT NULL,
	`h7` integer DEFAULT 0 NOT NULL,
	`h8` integer DEFAULT 0 NOT NULL,
	`h9` integer DEFAULT 0 NOT NULL,
	`h10` integer DEFAULT 0 NOT NULL,
	`h11` integer DEFAULT 0 NOT NULL,
	`h12` integer DEFAULT 0 NOT NULL,
	`h13` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `key_id`, `route`, `outcome`, `status_class`)
);
--> statement-breakpoint
CREATE INDEX `analytics_hour_tenant_bucket_idx` ON `analytics_hour` (`tenant_id`,`bucket`);--> statement-breakpoint
CREATE INDEX `analytics_hour_key_bucket_idx` ON `analytics_hour` (`key_id`,`bucket`);--> statement-breakpoint
CREATE TABLE `analytics_minute` (
	`bucket` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`key_id` text NOT NULL,
	`route` text NOT NULL,
	`outcome` text NOT NULL,
	`status_class` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`cost` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` real DEFAULT 0 NOT NULL,
	`h0` integer DEFAULT 0 NOT NULL,
	`h1` integer DEFAULT 0 NOT NULL,
	`h2` integer DEFAULT 0 NOT NULL,
	`h3` integer DEFAULT 0 NOT NULL,
	`h4` integer DEFAULT 0 NOT NULL,
	`h5` integer DEFAULT 0 NOT NULL,
	`h6` integer DEFAULT 0 NOT NULL,
	`h7` integer DEFAULT 0 NOT NULL,
	`h8` integer DEFAULT 0 NOT NULL,
	`h9` integer DEFAULT 0 NOT NULL,
	`h10` integer DEFAULT 0 NOT NULL,
	`h11` integer DEFAULT 0 NOT NULL,
	`h12` integer DEFAULT 0 NOT NULL,
	`h13` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `key_id`, `route`, `outcome`, `status_class`)
);
--> statement-breakpoint
CREATE INDEX `analytics_minute_tenant_bucket_idx` ON `analytics_minute` (`tenant_id`,`bucket`);--> statement-breakpoint
CREATE INDEX `analytics_minute_key_bucket_idx` ON `analytics_minute` (`key_id`,`bucket`);--> statement-breakpoint
CREATE TABLE `auth_failure_networks` (
	`bucket` integer NOT NULL,
	`network` text NOT NULL,
	`outcome` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `network`, `outcome`)
);
--> statement-breakpoint
CREATE TABLE `alert_events` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`tenant_id` text,
	`type` text NOT NULL,
	`value` real NOT NULL,
	`threshold` real NOT NULL,
	`window_minutes` integer NOT NULL,
	`payload` text NOT NULL,
	`at` integer NOT NULL,
	`delivery` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_status` integer,
	`last_error` text,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `alert_events_rule_idx` ON `alert_events` (`rule_id`,`at`);--> statement-breakpoint
CREATE INDEX `alert_events_delivery_idx` ON `alert_events` (`delivery`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text,
	`name` text NOT NULL,
	`metric` text NOT NULL,
	`threshold` real NOT NULL,
	`window_minutes` integer NOT NULL,
	`webhook_url` text NOT NULL,
	`secret` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`state` text DEFAULT 'ok' NOT NULL,
	`last_value` real,
	`last_evaluated_at` integer,
	`created_at` integer NOT NULL,
	`created_by` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_tenant_idx` ON `alert_rules` (`tenant_id`,`id`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `price_per_1k_tokens` real;