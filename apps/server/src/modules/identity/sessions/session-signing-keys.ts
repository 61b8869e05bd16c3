import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { Db } from '../../../platform/db/database.ts';
import type { DataKeyProvider } from '../../../platform/keys/data-key-provider.ts';
import { openSealedSecret, sealSecret } from '../../../platform/keys/sealed-secret.ts';

/** How long a loaded key set is trusted before it is read again. */
const RELOAD_INTERVAL_MS = 60_000;
/** An unknown kid triggers a reload at most this often, so garbage kids cannot flood the database. */
const UNKNOWN_KID_RELOAD_MS = 5_000;

export interface SessionKeyRing {
  /** The newest key, creating the first one when there is none. */
  signingKey(): Promise<{ kid: string; privateKey: KeyObject }>;
  /** The public key for `kid`, or null when no accepted key has that id. */
  verificationKey(kid: string): Promise<KeyObject | null>;
  /** The accepted public keys as a JWK Set (RFC 7517). */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Create a new key, which signs from now on; the old ones still verify for a while. */
  rotate(): Promise<string>;
}

interface LoadedKey {
  kid: string;
  publicKey: KeyObject;
  createdAt: Date;
  /** When the next key was created; null for the newest key. */
  supersededAt: Date | null;
}

function sealContext(kid: string): string {
  return `session-signing-key:${kid}`;
}

/**
 * Ed25519 keys that sign access tokens, kept in session_signing_keys with
 * the private half sealed by the data-key provider, so every server
 * instance shares them. A superseded key still verifies tokens for
 * `acceptSupersededMs`: the token lifetime plus the time other instances
 * take to notice the rotation.
 */
export function createSessionKeyRing(deps: {
  db: Db;
  dataKeys: () => Promise<DataKeyProvider>;
  accessTokenTtlMs: number;
  now?: () => number;
}): SessionKeyRing {
  const now = deps.now ?? Date.now;
  const acceptSupersededMs = deps.accessTokenTtlMs + 2 * RELOAD_INTERVAL_MS + 60_000;
  let keys: LoadedKey[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;
  let lastUnknownReload = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | null = null;
  const privateKeys = new Map<string, KeyObject>();

  const load = async () => {
    const rows = await deps.db
      .selectFrom('session_signing_keys')
      .select(['kid', 'public_key_pem', 'created_at'])
      .orderBy('created_at')
      .orderBy('kid')
      .execute();
    keys = rows.map((row, index) => ({
      kid: row.kid,
      publicKey: createPublicKey(row.public_key_pem),
      createdAt: new Date(row.created_at),
      supersededAt: rows[index + 1] ? new Date(rows[index + 1]?.created_at as Date) : null,
    }));
    loadedAt = now();
  };

  const reload = () => {
    loading ??= load().finally(() => {
      loading = null;
    });
    return loading;
  };

  const current = async () => {
    if (now() - loadedAt > RELOAD_INTERVAL_MS) await reload();
    return keys;
  };

  const accepted = (key: LoadedKey) =>
    key.supersededAt === null || now() - key.supersededAt.getTime() < acceptSupersededMs;

  const create = async (): Promise<string> => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    try {
      const sealed = await sealSecret(await deps.dataKeys(), der, sealContext(kid));
      await deps.db
        .insertInto('session_signing_keys')
        .values({
          kid,
          algorithm: 'EdDSA',
          public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          private_key_sealed: sealed,
        })
        .execute();
    } finally {
      der.fill(0);
    }
    privateKeys.set(kid, privateKey);
    await reload();
    return kid;
  };

  const openPrivateKey = async (kid: string): Promise<KeyObject> => {
    const cached = privateKeys.get(kid);
    if (cached) return cached;

    const row = await deps.db
      .selectFrom('session_signing_keys')
      .select(['private_key_sealed', 'public_key_pem'])
      .where('kid', '=', kid)
      .executeTakeFirstOrThrow();
    const der = await openSealedSecret(
      await deps.dataKeys(),
      row.private_key_sealed,
      sealContext(kid),
    );
    try {
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const derivedPublic = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' });
      if (derivedPublic.toString() !== row.public_key_pem) {
        throw new Error(
          `session signing key ${kid}: the sealed private key does not match its public key`,
        );
      }
      privateKeys.set(kid, privateKey);
      return privateKey;
    } finally {
      der.fill(0);
    }
  };

  return {
    async signingKey() {
      let newest = (await current()).at(-1);
      if (newest === undefined) {
        await create();
        newest = keys.at(-1);
      }
      if (newest === undefined) {
        throw new Error('no session signing key could be created');
      }
      return { kid: newest.kid, privateKey: await openPrivateKey(newest.kid) };
    },

    async verificationKey(kid) {
      let key = (await current()).find((candidate) => candidate.kid === kid);
      if (key === undefined && now() - lastUnknownReload > UNKNOWN_KID_RELOAD_MS) {
        lastUnknownReload = now();
        await reload();
        key = keys.find((candidate) => candidate.kid === kid);
      }
      return key !== undefined && accepted(key) ? key.publicKey : null;
    },

    async jwks() {
      const published = (await current()).filter(accepted);
      return {
        keys: await Promise.all(
          published.map(async (key) => ({
            ...(await exportJWK(key.publicKey)),
            kid: key.kid,
            alg: 'EdDSA',
            use: 'sig',
          })),
        ),
      };
    },

    rotate: create,
  };
}
