import { z } from 'zod';
import { canonicalize } from '../../../platform/json/jcs.ts';
import { CHECKPOINT_ORIGIN, type SignedCheckpoint } from '../checkpoints/checkpoint-body.ts';

/**
 * An export is JSON Lines: every event in sequence order, then every
 * checkpoint. An event line is exactly
 *
 *   {"hash":"<64 hex digits>","event":<RFC 8785 canonical event>}
 *
 * so a verifier can hash the event bytes as they stand, and every byte of
 * the line is either compared or hashed. A checkpoint line is the canonical
 * JSON of {"checkpoint":{...},"signature":"<base64>"}.
 */
export const EVENT_LINE_PREFIX = Buffer.from('{"hash":"');
export const EVENT_LINE_INFIX = Buffer.from('","event":');
export const HASH_HEX_LENGTH = 64;
export const EVENT_START = EVENT_LINE_PREFIX.length + HASH_HEX_LENGTH + EVENT_LINE_INFIX.length;
export const CHECKPOINT_LINE_PREFIX = Buffer.from('{"checkpoint":');

export function eventLine(hash: Buffer, canonicalEvent: string): string {
  return `{"hash":"${hash.toString('hex')}","event":${canonicalEvent}}\n`;
}

export function checkpointLine(signed: SignedCheckpoint): string {
  return `${canonicalize({ checkpoint: signed.checkpoint, signature: signed.signature })}\n`;
}

const hexHash = z.string().regex(/^[0-9a-f]{64}$/);

export const signedCheckpointSchema = z.strictObject({
  checkpoint: z.strictObject({
    origin: z.literal(CHECKPOINT_ORIGIN),
    treeSize: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    rootHash: hexHash,
    signedAt: z.string().max(64),
    keyId: hexHash,
  }),
  signature: z.base64().max(128),
});

export const eventLineSchema = z.object({
  hash: hexHash,
  event: z.looseObject({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
});
