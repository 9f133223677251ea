-- canary_runs was created by 0000 and never written: it is replaced, not copied (no rows to keep).
DROP INDEX IF EXISTS `canary_runs_execution`;
--> statement-breakpoint
DROP TABLE `canary_runs`;
--> statement-breakpoint
CREATE TABLE `canary_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`execution_id` text,
	`stage_id` text,
	`stage_name` text,
	`application` text NOT NULL,
	`config_name` text NOT NULL,
	`config_version` integer,
	`config` text NOT NULL,
	`status` text NOT NULL,
	`score` real,
	`result` text,
	`thresholds` text NOT NULL,
	`control` text NOT NULL,
	`experiment` text NOT NULL,
	`metrics_source` text NOT NULL,
	`planned_intervals` integer NOT NULL,
	`completed_intervals` integer DEFAULT 0 NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `canary_runs_execution` ON `canary_runs` (`execution_id`);--> statement-breakpoint
CREATE INDEX `canary_runs_app_created` ON `canary_runs` (`application`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `canary_intervals` (
	`run_id` text NOT NULL,
	`index` integer NOT NULL,
	`experiment_start_ms` integer NOT NULL,
	`experiment_end_ms` integer NOT NULL,
	`control_start_ms` integer NOT NULL,
	`control_end_ms` integer NOT NULL,
	`judged_at` integer NOT NULL,
	`score` real NOT NULL,
	`result` text NOT NULL,
	`judge` text NOT NULL,
	`series` text NOT NULL,
	PRIMARY KEY(`run_id`, `index`),
	FOREIGN KEY (`run_id`) REFERENCES `canary_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
