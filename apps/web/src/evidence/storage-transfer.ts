import { ApiError } from '../api/api-error.ts';
import { downloadUrl, saveBlob } from '../shared/save-file.ts';
import type { StorageRequest } from './evidence-api.ts';

/**
 * Request headers that only the browser sets (the Fetch standard's forbidden
 * request headers). XMLHttpRequest and fetch ignore them, and the browser
 * sends the right Content-Length for the body itself.
 */
const BROWSER_CONTROLLED_HEADERS = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

function settableHeaders(headers: Record<string, string>): [string, string][] {
  return Object.entries(headers).filter(([name]) => !BROWSER_CONTROLLED_HEADERS.has(name));
}

function storageError(method: string, status: number | undefined, detail: string): ApiError {
  return new ApiError({
    status,
    code: status === undefined ? 'NETWORK_ERROR' : 'UNEXPECTED_RESPONSE',
    detail: `${method} to evidence storage failed: ${detail}`,
    requestId: undefined,
  });
}

/**
 * PUT `file` to the signed URL with every header the upload request lists,
 * Content-Type included, and report the bytes sent through `onProgress`.
 * Uses XMLHttpRequest, because fetch reports no upload progress.
 */
export function uploadToStorage(
  request: StorageRequest,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name, value] of settableHeaders(request.headers)) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      reject(
        storageError(
          request.method,
          xhr.status,
          `HTTP ${xhr.status}. The upload URL may have expired; upload the file again.`,
        ),
      );
    });
    xhr.addEventListener('error', () =>
      reject(
        storageError(
          request.method,
          undefined,
          'the connection failed. Check your network connection and upload the file again.',
        ),
      ),
    );
    xhr.addEventListener('abort', () =>
      reject(new DOMException('The upload was cancelled.', 'AbortError')),
    );
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/**
 * Follow a signed download request. Without headers an anchor opens the
 * URL, so the browser streams the file to disk. With headers (such as
 * If-Match, which pins an S3 object version) only fetch can send them, so
 * the file is read into memory and then saved.
 */
export async function followDownload(request: StorageRequest, fileName: string): Promise<void> {
  const headers = settableHeaders(request.headers);
  if (headers.length === 0) {
    downloadUrl(request.url, fileName);
    return;
  }

  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers });
  } catch (error) {
    throw storageError(
      request.method,
      undefined,
      `the connection failed (${error instanceof Error ? error.message : String(error)}). Try the download again.`,
    );
  }
  if (!response.ok) {
    throw storageError(
      request.method,
      response.status,
      `HTTP ${response.status}. The stored file may have changed since it was verified; ask an administrator.`,
    );
  }
  saveBlob(await response.blob(), fileName);
}
