import {
  auditEventPageSchema,
  auditPublicKeySchema,
  auditSearchQuerySchema,
  auditVerificationSchema,
  checkpointListSchema,
  consistencyProofQuerySchema,
  consistencyProofSchema,
  inclusionProofParamsSchema,
  inclusionProofQuerySchema,
  inclusionProofSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import { keyIdOf, readEd25519PublicKey } from '../../platform/keys/signing-key.ts';
import type { AuditTrailReader } from './audit-reader.service.ts';
import { toSearchFilters } from './audit-search.ts';

export function registerAuditTrailRoutes(app: FastifyInstance, audit: AuditTrailReader) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/audit/events',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      schema: {
        tags: ['audit trail'],
        summary: 'Search audit events, newest first',
        description:
          'Administrators and management read the events of the entities their grants cover. Every search is itself audited.',
        querystring: auditSearchQuerySchema,
        response: { 200: auditEventPageSchema },
      },
    },
    async (request) => {
      const actor = await app.requireActor(request);
      return audit.search(actor, toSearchFilters(request.query, 'cursor'), requestContext(request));
    },
  );

  routes.get(
    '/api/v1/audit/events/:seq/inclusion-proof',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      schema: {
        tags: ['audit trail'],
        summary: 'Prove that an event is in a signed checkpoint',
        description:
          'RFC 9162 inclusion proof against the checkpoint of the given tree size, or the latest checkpoint.',
        params: inclusionProofParamsSchema,
        querystring: inclusionProofQuerySchema,
        response: { 200: inclusionProofSchema },
      },
    },
    async (request) => {
      const actor = await app.requireActor(request);
      return audit.inclusionProof(
        actor,
        request.params.seq,
        request.query.treeSize,
        requestContext(request),
      );
    },
  );

  routes.get(
    '/api/v1/audit/checkpoints',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      schema: {
        tags: ['audit trail'],
        summary: 'List signed checkpoints, smallest tree first',
        response: { 200: checkpointListSchema },
      },
    },
    async (request) => {
      const actor = await app.requireActor(request);
      return { checkpoints: await audit.checkpoints(actor, requestContext(request)) };
    },
  );

  routes.get(
    '/api/v1/audit/verification',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      schema: {
        tags: ['audit trail'],
        summary: 'The latest full verification of the chain and every checkpoint',
        description:
          'Each server instance verifies the whole chain and every checkpoint every PEYTONIX_AUDIT_VERIFY_SECONDS and stores the result. state is intact only when the latest result found no damage and is younger than staleAfterSeconds; an older result is stale and no result is unverified. Damage names only a sequence number and a kind, never an event, so every audit reader may see it.',
        response: { 200: auditVerificationSchema },
      },
    },
    async (request) => {
      const actor = await app.requireActor(request);
      return audit.verification(actor, requestContext(request));
    },
  );

  routes.get(
    '/api/v1/audit/consistency-proof',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      schema: {
        tags: ['audit trail'],
        summary: 'Prove that a later checkpoint extends an earlier one',
        description: 'RFC 9162 consistency proof between two checkpoint tree sizes.',
        querystring: consistencyProofQuerySchema,
        response: { 200: consistencyProofSchema },
      },
    },
    async (request) => {
      const actor = await app.requireActor(request);
      const { first, second } = request.query;
      return audit.consistencyProof(actor, first, second, requestContext(request));
    },
  );

  routes.get(
    '/api/v1/audit/public-key',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['audit trail'],
        summary: 'The key that verifies checkpoint signatures',
        description:
          'Public, so that outside verifiers can fetch it. Compare keyId with a copy obtained out of band before trusting it.',
        response: { 200: auditPublicKeySchema },
      },
    },
    async () => {
      const pem = await audit.publicKeyPem();
      return {
        algorithm: 'Ed25519' as const,
        keyId: keyIdOf(readEd25519PublicKey(pem)),
        publicKeyPem: pem,
      };
    },
  );
}
