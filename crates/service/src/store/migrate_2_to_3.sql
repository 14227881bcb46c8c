-- Layout 2 to 3: the administration's tables (users, subscriptions, assignments, notifications,
-- admin_audit) are new; schema.sql creates them right after this step. No table of layout 2
-- changes, so a layout-2 store keeps every policy value and audit entry as it is.
SELECT 1;
