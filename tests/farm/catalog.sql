-- The session database's shape, one line per object, user names folded:
-- compared with the shape the reference x2godbadmin creates. The session
-- history's own tables (x2go_history*) are additions, left out here.
SELECT 'column', table_name, column_name, data_type,
       coalesce(character_maximum_length::text, ''), coalesce(column_default, ''), is_nullable
  FROM information_schema.columns WHERE table_schema = 'public'
   AND table_name NOT LIKE 'x2go\_history%'
 ORDER BY table_name, ordinal_position;
SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname;
SELECT 'rule', tablename, rulename, definition FROM pg_rules
 WHERE schemaname = 'public' ORDER BY tablename, rulename;
SELECT 'constraint', conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE connamespace = 'public'::regnamespace
   AND conrelid::regclass::text NOT LIKE 'x2go\_history%' ORDER BY 2, 3;
SELECT DISTINCT 'grant', regexp_replace(grantee, '^x2gouser_.*', 'x2gouser_USER'), table_name,
       privilege_type FROM information_schema.role_table_grants
 WHERE (grantee = 'x2godbuser' OR grantee LIKE 'x2gouser\_%')
   AND table_name NOT LIKE 'x2go\_history%' ORDER BY 2, 3, 4;
