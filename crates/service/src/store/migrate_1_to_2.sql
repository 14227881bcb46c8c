-- Layout 1 to 2: the audit log names signed-in callers (object id, app id, UPN).
ALTER TABLE audit ADD COLUMN actor_object_id TEXT;
ALTER TABLE audit ADD COLUMN actor_app_id TEXT;
ALTER TABLE audit ADD COLUMN actor_upn TEXT;
