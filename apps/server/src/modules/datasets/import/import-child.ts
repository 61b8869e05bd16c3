/**
 * Entry script of the import child process that importDatasetInChild forks.
 * It runs the one ImportRequest it receives with importDataset and sends back
 * the ImportResult or the serialized error (see import-child-protocol.ts).
 */
import { serveOneRequest } from '../../../platform/child-process/parent-channel.ts';
import { type ImportChildMessage, serializeImportFailure } from './import-child-protocol.ts';
import { importDataset } from './import-dataset.ts';
import type { ImportRequest } from './types.ts';

await serveOneRequest<ImportRequest, ImportChildMessage>({
  script: 'import-child.ts',
  starter: 'importDatasetInChild',
  name: 'import child',
  async run(request) {
    try {
      return { type: 'result', result: await importDataset(request) };
    } catch (error) {
      return { type: 'error', error: serializeImportFailure(error) };
    }
  },
});
