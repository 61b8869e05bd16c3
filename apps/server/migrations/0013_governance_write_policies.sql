-- Write policies that follow roles, on the tables that govern access.
--
-- 0012 limited writes to the actor's subtrees. On the tables whose rows
-- decide who may do what, that still let a scoped actor with any role
-- write: a preparer could insert an administrator grant for itself, and
-- the author of a change request could mark it approved in someone else's
-- name. The services refuse both; these policies refuse them again in the
-- database, so a service bug alone cannot escalate.

-- True when the acting user holds one of `roles` on `entity`.
CREATE FUNCTION peytonix_actor_holds(p_entity uuid, p_roles text[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.peytonix_actor_scope() AS scope
    WHERE scope.entity_id = p_entity AND scope.role = ANY (p_roles)
  )
$$;
REVOKE ALL ON FUNCTION peytonix_actor_holds(uuid, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_actor_holds(uuid, text[]) TO peytonix_app;

-- A grant is written by whoever applies an approved change request: a
-- reviewer or an administrator of the entity, never for themselves.
DROP POLICY role_grants_create ON role_grants;
DROP POLICY role_grants_revoke ON role_grants;
CREATE POLICY role_grants_create ON role_grants FOR INSERT TO peytonix_app
  WITH CHECK (
    user_id IS DISTINCT FROM peytonix_actor_user_id()
    AND peytonix_actor_holds(entity_id, ARRAY['administrator', 'reviewer'])
  );
CREATE POLICY role_grants_revoke ON role_grants FOR DELETE TO peytonix_app
  USING (
    user_id IS DISTINCT FROM peytonix_actor_user_id()
    AND peytonix_actor_holds(entity_id, ARRAY['administrator', 'reviewer'])
  );

-- A decision names the actor as the decider, and only a reviewer or an
-- administrator of the entity decides. Marking a request stale or expired
-- sets no decider, so anyone in scope who touches the request may do it.
DROP POLICY change_requests_decide ON change_requests;
CREATE POLICY change_requests_decide ON change_requests FOR UPDATE TO peytonix_app
  USING (entity_id IN (SELECT peytonix_actor_entities()))
  WITH CHECK (
    entity_id IN (SELECT peytonix_actor_entities())
    AND (
      decided_by IS NULL
      OR (
        decided_by = peytonix_actor_user_id()
        AND peytonix_actor_holds(entity_id, ARRAY['administrator', 'reviewer'])
      )
    )
  );

-- Entities are created by administrators of the parent, and renamed,
-- archived or moved by an administrator or by the reviewer who applies an
-- approved move.
DROP POLICY entities_create ON entities;
CREATE POLICY entities_create ON entities FOR INSERT TO peytonix_app
  WITH CHECK (peytonix_actor_holds(parent_id, ARRAY['administrator']));

DROP POLICY entities_update ON entities;
CREATE POLICY entities_update ON entities FOR UPDATE TO peytonix_app
  USING (peytonix_actor_holds(id, ARRAY['administrator', 'reviewer']))
  WITH CHECK (
    peytonix_actor_holds(id, ARRAY['administrator', 'reviewer'])
    AND (parent_id IS NULL OR parent_id IN (SELECT peytonix_actor_entities()))
  );
