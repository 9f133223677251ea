DROP INDEX `stages_execution_ref`;--> statement-breakpoint
ALTER TABLE `stages` ADD `meta` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `stages_execution_ref_id` ON `stages` (`execution_id`,`ref_id`);