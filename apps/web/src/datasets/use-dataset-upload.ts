import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
// NOTE: the error messages of uploadToStorage name evidence storage, also for dataset files.
import { uploadToStorage } from '../evidence/storage-transfer.ts';
import { sha256HexOfBlob } from '../shared/blob-sha256.ts';
import { declareDatasetUpload } from './datasets-api.ts';

/** Progress of an upload, for the progress display. */
export type DatasetUploadStage =
  | { step: 'hashing' }
  | { step: 'declaring' }
  | { step: 'uploading'; loaded: number; total: number };

export interface DatasetUploadInput {
  entityCode: string;
  datasetName: string;
  file: File;
}

/** A file in storage, ready to preview and import. */
export interface UploadedDatasetFile extends DatasetUploadInput {
  uploadId: string;
  sha256: string;
}

/**
 * Upload one dataset file: hash it in the browser, declare it, then PUT the
 * bytes straight to storage with the signed request and every header it
 * lists. Resolves once storage contains the file, so it can be previewed.
 */
export function useDatasetUpload() {
  const [stage, setStage] = useState<DatasetUploadStage | null>(null);

  const upload = useMutation({
    mutationFn: async (input: DatasetUploadInput): Promise<UploadedDatasetFile> => {
      setStage({ step: 'hashing' });
      const sha256 = await sha256HexOfBlob(input.file);

      setStage({ step: 'declaring' });
      const declared = await declareDatasetUpload({
        entity: input.entityCode,
        datasetName: input.datasetName,
        fileName: input.file.name,
        size: input.file.size,
        sha256,
      });

      setStage({ step: 'uploading', loaded: 0, total: input.file.size });
      await uploadToStorage(declared.upload, input.file, (loaded, total) =>
        setStage({ step: 'uploading', loaded, total }),
      );
      return { ...input, uploadId: declared.uploadId, sha256 };
    },
    onSettled: () => setStage(null),
  });

  return { upload, stage };
}
