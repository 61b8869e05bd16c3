import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/config.ts';
import type { DataKeyProvider } from '../keys/data-key-provider.ts';
import { openLocalObjectStorage } from './local-object-storage.ts';
import type { ObjectStorage } from './object-storage.ts';
import { S3ObjectStorage } from './s3-object-storage.ts';

/**
 * Open the object storage that the configuration selects: encrypted files
 * under the data directory, or an S3 bucket with SSE-KMS. Callers that
 * need an adapter-only method check `kind` first.
 *
 * `dataKeys` is called on first use, not here, so opening never waits for
 * KMS. Pass a memoized opener such as memoizeKey(() => openDataKeysForDatabase(...)).
 */
export async function openObjectStorage(
  config: Config,
  dataKeys: () => Promise<DataKeyProvider>,
): Promise<ObjectStorage> {
  const storage = config.storage;
  switch (storage.kind) {
    case 'local':
      return openLocalObjectStorage({
        dataDir: config.dataDir,
        dataKeys,
        publicOrigin: config.identity.publicOrigin,
      });
    case 's3': {
      // Bounded waits, so an unreachable S3 fails a request within seconds.
      const client = new S3Client({
        region: storage.region,
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
        ...(storage.endpoint === undefined
          ? {}
          : { endpoint: storage.endpoint, forcePathStyle: true }),
      });
      return new S3ObjectStorage({ client, bucket: storage.bucket, kmsKeyId: storage.kmsKeyId });
    }
  }
}
