import type { Config } from '../config/config.ts';
import type { DataKeyProvider } from '../keys/data-key-provider.ts';
import { type LocalObjectStorage, openLocalObjectStorage } from './local-object-storage.ts';

/**
 * Open the object storage that the configuration selects. Only the local
 * adapter exists, so the result is always a LocalObjectStorage. Callers
 * that need an adapter-only method should check `kind` first, because an
 * S3 adapter will widen this type.
 *
 * `dataKeys` is called on first use, not here, so opening never waits for
 * KMS. Pass a memoized opener such as memoizeKey(() => openDataKeysForDatabase(...)).
 */
export async function openObjectStorage(
  config: Config,
  dataKeys: () => Promise<DataKeyProvider>,
): Promise<LocalObjectStorage> {
  const kind: 'local' = config.storage.kind;
  switch (kind) {
    case 'local':
      return openLocalObjectStorage({
        dataDir: config.dataDir,
        dataKeys,
        publicOrigin: config.identity.publicOrigin,
      });
  }
}
