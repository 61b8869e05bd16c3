import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { sha256HexOfBlob } from '../shared/blob-sha256.ts';
import {
  confirmEvidence,
  declareEvidence,
  declareEvidenceVersion,
  type EvidenceDate,
  type EvidenceFilePolicy,
  type EvidenceSubjectType,
  type EvidenceVersion,
  evidenceKeys,
  type FileDeclaration,
} from './evidence-api.ts';
import { contentTypeOf, fileProblem } from './evidence-files.ts';
import { uploadToStorage } from './storage-transfer.ts';

/** Progress of an upload, for the progress display. */
export type UploadStage =
  | { step: 'hashing' }
  | { step: 'declaring' }
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'confirming' };

/** Target of an upload: a new item on a subject, or a new version of an existing item. */
export type UploadTarget =
  | { kind: 'item'; subjectType: EvidenceSubjectType; subject: string; title?: string | undefined }
  | { kind: 'version'; evidenceId: string };

export interface UploadInput {
  file: File;
  evidenceDate?: EvidenceDate | undefined;
  /** The server's evidence file policy, checked before the file is read. */
  policy: EvidenceFilePolicy;
}

/**
 * Upload one evidence file: hash it in the browser, declare it, PUT the
 * bytes straight to storage with the signed request, then confirm it, which
 * verifies and scans it. Resolves with the version as the server left it,
 * which may be available, scan_pending, quarantined or rejected.
 */
export function useEvidenceUpload(target: UploadTarget, listKey: readonly unknown[]) {
  const queryClient = useQueryClient();
  const [stage, setStage] = useState<UploadStage | null>(null);

  const upload = useMutation({
    mutationFn: async ({ file, evidenceDate, policy }: UploadInput): Promise<EvidenceVersion> => {
      const problem = fileProblem(file, policy);
      if (problem !== null) throw new Error(problem);

      setStage({ step: 'hashing' });
      const declaration: FileDeclaration = {
        fileName: file.name,
        size: file.size,
        // The whole file is read into memory to hash it, so fileProblem first rejects
        // files above the server's limit (PEYTONIX_EVIDENCE_MAX_BYTES, 100 MiB by default).
        sha256: await sha256HexOfBlob(file),
        contentType: contentTypeOf(file, policy),
        evidenceDate,
      };

      setStage({ step: 'declaring' });
      const declared =
        target.kind === 'item'
          ? await declareEvidence(target.subjectType, target.subject, target.title, declaration)
          : await declareEvidenceVersion(target.evidenceId, declaration);
      // The item now exists with a pending version, so the list shows it even if a later step fails.
      await queryClient.invalidateQueries({ queryKey: listKey });

      setStage({ step: 'uploading', loaded: 0, total: file.size });
      await uploadToStorage(declared.upload, file, (loaded, total) =>
        setStage({ step: 'uploading', loaded, total }),
      );

      setStage({ step: 'confirming' });
      const item = await confirmEvidence(declared.evidenceId, declared.version);
      const version = item.versions.find((candidate) => candidate.version === declared.version);
      if (version === undefined) {
        throw new Error(
          `The server confirmed evidence ${declared.evidenceId} but returned no version ${declared.version}. Reload the page.`,
        );
      }
      return version;
    },
    onSettled: async () => {
      setStage(null);
      await queryClient.invalidateQueries({ queryKey: evidenceKeys.all });
    },
  });

  return { upload, stage };
}
