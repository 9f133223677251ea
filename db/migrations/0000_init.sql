CREATE TABLE `accounts` (
	`name` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`agent_id` text,
	`locations` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `accounts_agent` ON `accounts` (`agent_id`);--> statement-breakpoint
CREATE TABLE `agent_install_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`agent_id` text
);
--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`version` text,
	`hostname` text,
	`created_at` integer NOT NULL,
	`last_seen_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`applications` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE INDEX `api_tokens_created` ON `api_tokens` (`created_at`);--> statement-breakpoint
CREATE TABLE `applications` (
	`name` text PRIMARY KEY NOT NULL,
	`email` text,
	`description` text,
	`traffic_guards` text DEFAULT '[]' NOT NULL,
	`time_zone` text DEFAULT 'UTC' NOT NULL,
	`cloud_providers` text DEFAULT '[]' NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `applications_updated` ON `applications` (`updated_at`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`action` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text NOT NULL,
	`application` text,
	`details` text DEFAULT '{}' NOT NULL,
	`request_id` text
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit_events` (`at`);--> statement-breakpoint
CREATE INDEX `audit_app_at` ON `audit_events` (`application`,`at`);--> statement-breakpoint
CREATE TABLE `canary_configs` (
	`id` text PRIMARY KEY NOT NULL,
	`application` text NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`version` integer NOT NULL,
	`updated_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `canary_configs_app_name` ON `canary_configs` (`application`,`name`);--> statement-breakpoint
CREATE TABLE `canary_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`execution_id` text,
	`stage_id` text,
	`application` text NOT NULL,
	`config` text NOT NULL,
	`status` text NOT NULL,
	`score` integer,
	`result` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `canary_runs_execution` ON `canary_runs` (`execution_id`);--> statement-breakpoint
CREATE TABLE `executions` (
	`id` text PRIMARY KEY NOT NULL,
	`application` text NOT NULL,
	`pipeline_id` text,
	`pipeline_version` integer,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`config` text NOT NULL,
	`trigger` text NOT NULL,
	`parameters` text DEFAULT '{}' NOT NULL,
	`parent_execution_id` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`start_time_expiry` integer,
	`canceled_by` text,
	`cancel_reason` text,
	`paused_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `executions_app_created` ON `executions` (`application`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_pipeline_status` ON `executions` (`pipeline_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_status` ON `executions` (`status`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`server_group_id` text NOT NULL,
	`name` text NOT NULL,
	`health` text NOT NULL,
	`address` text,
	`launched_at` integer,
	`reported_at` integer NOT NULL,
	FOREIGN KEY (`server_group_id`) REFERENCES `server_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `instances_server_group` ON `instances` (`server_group_id`);--> statement-breakpoint
CREATE TABLE `pipeline_versions` (
	`pipeline_id` text NOT NULL,
	`version` integer NOT NULL,
	`config` text NOT NULL,
	`author` text NOT NULL,
	`action` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`pipeline_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `pipelines` (
	`id` text PRIMARY KEY NOT NULL,
	`application` text NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`application`) REFERENCES `applications`(`name`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pipelines_app_name` ON `pipelines` (`application`,`name`);--> statement-breakpoint
CREATE TABLE `server_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`account` text NOT NULL,
	`location` text NOT NULL,
	`name` text NOT NULL,
	`application` text NOT NULL,
	`cluster` text NOT NULL,
	`stack` text DEFAULT '' NOT NULL,
	`detail` text DEFAULT '' NOT NULL,
	`sequence` integer,
	`disabled` integer DEFAULT false NOT NULL,
	`capacity` text NOT NULL,
	`artifact` text,
	`load_balancers` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`reported_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `server_groups_identity` ON `server_groups` (`account`,`location`,`name`);--> statement-breakpoint
CREATE INDEX `server_groups_app_cluster` ON `server_groups` (`application`,`cluster`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `stages` (
	`id` text PRIMARY KEY NOT NULL,
	`execution_id` text NOT NULL,
	`ref_id` text NOT NULL,
	`parent_stage_id` text,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`requisite_stage_ref_ids` text NOT NULL,
	`context` text NOT NULL,
	`outputs` text DEFAULT '{}' NOT NULL,
	`error` text,
	`started_at` integer,
	`ended_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stages_execution_ref` ON `stages` (`execution_id`,`ref_id`,`parent_stage_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`execution_id` text,
	`stage_id` text,
	`account` text NOT NULL,
	`operation` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`idempotency_key` text NOT NULL,
	`result` text,
	`logs` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_idempotency_key_unique` ON `tasks` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `tasks_account_status` ON `tasks` (`account`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_lease` ON `tasks` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `tasks_execution` ON `tasks` (`execution_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);