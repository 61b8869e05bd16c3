import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * A signing key held by the key provider. The private half never leaves
 * the provider: a local key file in the embedded mode, a KMS key in
 * production. Callers see only the public key and a sign operation.
 */
export interface SigningKey {
  /** Stable id derived from the public key; see keyIdOf. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(message: Buffer): Promise<Buffer>;
}

/**
 * Derive the key id: the hex SHA-256 of the DER SubjectPublicKeyInfo, so anyone
 * holding the public key can recompute it and no registry is needed.
 */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** Parse a PEM public key and check that it is Ed25519. */
export function readEd25519PublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(
      `expected an Ed25519 public key, found ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return key;
}

export function verifyEd25519(publicKey: KeyObject, message: Buffer, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  return verify(null, message, publicKey, signature);
}
