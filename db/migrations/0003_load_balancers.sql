CREATE TABLE `load_balancers` (
	`account` text NOT NULL,
	`location` text NOT NULL,
	`name` text NOT NULL,
	`address` text,
	`server_groups` text DEFAULT '[]' NOT NULL,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`account`, `location`, `name`)
);
