import type { AuditEvent, inclusionProofSchema, signedCheckpointSchema } from '@peytonix/contracts';
import type { z } from 'zod';
import { bytesToHex, canonicalJson, hexToBytes, sha256Hex } from '../shared/canonical-json.ts';

export type SignedCheckpoint = z.infer<typeof signedCheckpointSchema>;
export type InclusionProof = z.infer<typeof inclusionProofSchema>;

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Return the members of an event that its hash covers: everything but its two links. */
export function hashedEvent(event: AuditEvent): Omit<AuditEvent, 'prevHash' | 'hash'> {
  const { prevHash: _prevHash, hash: _hash, ...covered } = event;
  return covered;
}

/**
 * Recompute an event's hash, SHA-256(0x00 || previous hash || JCS(event)),
 * which is also its RFC 9162 leaf hash, and compare it with the stored one.
 */
export async function eventHashMatches(event: AuditEvent): Promise<boolean> {
  const body = new TextEncoder().encode(canonicalJson(hashedEvent(event)));
  const computed = await sha256Hex(concat(new Uint8Array([0]), hexToBytes(event.prevHash), body));
  return computed === event.hash;
}

/**
 * Compute the Merkle tree head that an RFC 9162 inclusion proof implies
 * (section 2.1.3.2), or undefined when the proof has the wrong length for
 * the leaf index and tree size.
 */
export async function rootFromInclusionProof(
  leafHash: string,
  leafIndex: number,
  treeSize: number,
  proof: readonly string[],
): Promise<string | undefined> {
  if (leafIndex >= treeSize) return undefined;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let root = hexToBytes(leafHash);
  for (const sibling of proof) {
    if (sn === 0) return undefined;
    const node = hexToBytes(sibling);
    if (fn % 2 === 1 || fn === sn) {
      root = hexToBytes(await sha256Hex(concat(new Uint8Array([1]), node, root)));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      root = hexToBytes(await sha256Hex(concat(new Uint8Array([1]), root, node)));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? bytesToHex(root) : undefined;
}

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  return base64ToBytes(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''));
}

/** Outcome of checking a checkpoint's Ed25519 signature with the server's public key. */
export interface SignatureCheck {
  /** The checkpoint's keyId names the public key (SHA-256 of its DER SubjectPublicKeyInfo). */
  keyMatches: boolean;
  signatureValid: boolean;
}

/**
 * Verify a checkpoint's signature over the canonical JSON of its body with
 * `publicKeyPem`, through the Web Crypto API's Ed25519.
 */
export async function checkCheckpointSignature(
  signed: SignedCheckpoint,
  publicKeyPem: string,
): Promise<SignatureCheck> {
  const der = pemToDer(publicKeyPem);
  const keyMatches = (await sha256Hex(der)) === signed.checkpoint.keyId;
  const key = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  const message = new TextEncoder().encode(canonicalJson(signed.checkpoint));
  const signatureValid = await crypto.subtle.verify(
    { name: 'Ed25519' },
    key,
    base64ToBytes(signed.signature),
    message,
  );
  return { keyMatches, signatureValid };
}

/** Every check of an inclusion proof, each on its own so the screen can show which failed. */
export interface InclusionCheck {
  /** The event recomputes to the hash it is stored with. */
  eventHashMatches: boolean;
  /** The proof is for this event: its leaf hash is the event's hash and its leaf index is seq − 1. */
  leafMatches: boolean;
  /** The leaf hash and proof produce the checkpoint's root hash. */
  rootMatches: boolean;
  signature: SignatureCheck;
}

export function inclusionVerifies(check: InclusionCheck): boolean {
  return (
    check.eventHashMatches &&
    check.leafMatches &&
    check.rootMatches &&
    check.signature.keyMatches &&
    check.signature.signatureValid
  );
}

export async function checkInclusion(
  event: AuditEvent,
  proof: InclusionProof,
  publicKeyPem: string,
): Promise<InclusionCheck> {
  const root = await rootFromInclusionProof(
    proof.leafHash,
    proof.leafIndex,
    proof.treeSize,
    proof.proof,
  );
  return {
    eventHashMatches: await eventHashMatches(event),
    leafMatches: proof.leafHash === event.hash && proof.leafIndex === event.seq - 1,
    rootMatches:
      root !== undefined &&
      root === proof.checkpoint.checkpoint.rootHash &&
      proof.treeSize === proof.checkpoint.checkpoint.treeSize,
    signature: await checkCheckpointSignature(proof.checkpoint, publicKeyPem),
  };
}
