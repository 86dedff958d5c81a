ALTER TABLE `analytics_day` ADD `bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `analytics_hour` ADD `bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `analytics_minute` ADD `bytes` integer DEFAULT 0 NOT NULL;