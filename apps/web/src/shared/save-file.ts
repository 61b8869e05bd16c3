import { ApiError } from '../api/api-error.ts';

/** Bytes of a download so far, and its total when the response names one. */
export interface TransferProgress {
  loaded: number;
  total: number | undefined;
}

/**
 * Read a response body to a Blob, calling `onProgress` after each chunk.
 * NOTE: the whole file is held in memory until it is saved.
 */
export async function readBodyWithProgress(
  response: Response,
  onProgress: (progress: TransferProgress) => void,
): Promise<Blob> {
  const type = response.headers.get('content-type') ?? 'application/octet-stream';
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader === null ? undefined : Number(lengthHeader);
  if (response.body === null) return new Blob([], { type });

  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ loaded, total: Number.isFinite(total) ? total : undefined });
  }
  return new Blob(chunks, { type });
}

/**
 * Return the file name of a Content-Disposition header: the UTF-8
 * `filename*` (RFC 6266) when present, else `filename`, else `fallback`.
 */
export function fileNameFromContentDisposition(header: string | null, fallback: string): string {
  if (header === null) return fallback;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended?.[1] !== undefined) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // A malformed percent-encoding falls through to the plain name.
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  const name = plain?.[1] ?? plain?.[2]?.trim();
  return name === undefined || name === '' ? fallback : name;
}

/** Open the browser's download of `url` through a temporary anchor with the download attribute. */
export function downloadUrl(url: string, fileName: string): void {
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.rel = 'noopener';
  anchor.style.display = 'none';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

/** Save `blob` as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(url, fileName);
  // Revoking at once can cancel a download that has not read the blob yet, so wait a minute.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Read an attachment's body with progress and save it under the name its
 * Content-Disposition gives, or `fallbackName`. Resolves with that name. A
 * body that breaks off rejects with an ApiError whose detail is `brokenOff`.
 */
export async function saveAttachment(
  response: Response,
  fallbackName: string,
  brokenOff: string,
  onProgress: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  let blob: Blob;
  try {
    blob = await readBodyWithProgress(response, onProgress);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError({
      status: response.status,
      code: 'NETWORK_ERROR',
      detail: brokenOff,
      requestId: response.headers.get('x-request-id') ?? undefined,
      cause: error,
    });
  }
  const fileName = fileNameFromContentDisposition(
    response.headers.get('content-disposition'),
    fallbackName,
  );
  saveBlob(blob, fileName);
  return fileName;
}
