ALTER TABLE `api_keys` ADD `resources` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `allowed_ips` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `denied_ips` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `allowed_ips` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `denied_ips` text;