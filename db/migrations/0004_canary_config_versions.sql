CREATE TABLE `canary_config_versions` (
	`config_id` text NOT NULL,
	`version` integer NOT NULL,
	`config` text NOT NULL,
	`author` text NOT NULL,
	`action` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`config_id`, `version`)
);
