-- Runs once, when docker-compose's Postgres volume is created: the databases Temporal's schema job
-- fills. Boxoffice's own database is created by its migrate job (scripts/migrate.ts).
create database temporal;
create database temporal_visibility;
