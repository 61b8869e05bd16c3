import { formatBytes } from '../shared/format.ts';
import type { EvidenceFilePolicy } from './evidence-api.ts';

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot === -1 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/** List the allowed extensions of `policy` with their dots, for the file picker's accept. */
export function acceptedExtensions(policy: EvidenceFilePolicy): string {
  return policy.fileTypes
    .flatMap((type) => type.extensions.map((extension) => `.${extension}`))
    .join(',');
}

/**
 * Return the media type to declare for `file`: the one that the server's
 * policy lists for its extension, else the browser's guess, else
 * application/octet-stream, which the server then rejects with its reason.
 * The extension decides because File.type depends on the operating system
 * and is often empty.
 */
export function contentTypeOf(file: File, policy: EvidenceFilePolicy): string {
  const extension = extensionOf(file.name);
  const listed = policy.fileTypes.find((type) => type.extensions.includes(extension));
  return listed?.contentType ?? (file.type || 'application/octet-stream');
}

/**
 * Return why the server would reject `file` by its size or extension, or null.
 * Checking this first spares the browser from reading a file into memory to
 * hash it when the declaration would fail anyway. The server checks again.
 */
export function fileProblem(
  file: Pick<File, 'name' | 'size'>,
  policy: EvidenceFilePolicy,
): string | null {
  if (file.size > policy.maxBytes) {
    return `The file is ${formatBytes(file.size)}, larger than the ${formatBytes(policy.maxBytes)} limit for evidence files. Upload a smaller file, or split it into parts.`;
  }

  const extension = extensionOf(file.name);
  const allowed = policy.fileTypes.flatMap((type) => type.extensions);
  if (!allowed.includes(extension)) {
    const subject = extension === '' ? 'A file without an extension' : `A .${extension} file`;
    return `${subject} cannot be evidence here. Upload one of these types: ${allowed.map((extension) => `.${extension}`).join(', ')}.`;
  }
  return null;
}
