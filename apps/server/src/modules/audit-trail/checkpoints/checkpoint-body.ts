import type { KeyObject } from 'node:crypto';
import { canonicalize } from '../../../platform/json/jcs.ts';
import { keyIdOf, verifyEd25519 } from '../../../platform/keys/signing-key.ts';

/** Names the log a checkpoint belongs to and the format version. */
export const CHECKPOINT_ORIGIN = 'peytonix-audit-trail/v1';

/**
 * The body a checkpoint signs, as its RFC 8785 canonical JSON.
 * rootHash is the RFC 9162 Merkle tree head over the first treeSize event
 * hashes, in lowercase hex.
 */
export interface CheckpointBody {
  origin: typeof CHECKPOINT_ORIGIN;
  treeSize: number;
  rootHash: string;
  signedAt: string;
  keyId: string;
}

export interface SignedCheckpoint {
  checkpoint: CheckpointBody;
  /** Ed25519 signature over the canonical body, base64. */
  signature: string;
}

export function checkpointMessage(body: CheckpointBody): Buffer {
  return Buffer.from(canonicalize(body), 'utf8');
}

export type SignatureCheck = 'valid' | 'wrong_key' | 'invalid';

/**
 * Check a checkpoint against the verifier's own public key. The key id in
 * the body is only compared, never used to look a key up, so a forged
 * checkpoint cannot name a key of its own choosing.
 */
export function checkSignature(signed: SignedCheckpoint, publicKey: KeyObject): SignatureCheck {
  if (signed.checkpoint.keyId !== keyIdOf(publicKey)) return 'wrong_key';

  const signature = Buffer.from(signed.signature, 'base64');
  const message = checkpointMessage(signed.checkpoint);
  return verifyEd25519(publicKey, message, signature) ? 'valid' : 'invalid';
}
