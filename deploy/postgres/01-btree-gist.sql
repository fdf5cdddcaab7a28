-- Run once by the postgres image when its volume is new (docker-entrypoint-initdb.d).
-- The bookings' exclusion constraint (migration 0002) needs btree_gist; the migration
-- creates it too, but only a superuser or the database owner may, so it is made here.
CREATE EXTENSION IF NOT EXISTS btree_gist;
