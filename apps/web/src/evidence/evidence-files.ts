/**
 * Media types of the server's evidence allowlist by file extension
 * (apps/server/src/modules/evidence/evidence-file-types.ts). The server
 * rejects a declaration whose extension belongs to another type, so the
 * browser declares the type of the extension rather than File.type, which
 * depends on the operating system and is often empty.
 */
const CONTENT_TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  msg: 'application/vnd.ms-outlook',
  zip: 'application/zip',
  csv: 'text/csv',
  txt: 'text/plain',
  log: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
  eml: 'message/rfc822',
};

/**
 * Return the media type to declare for `file`: the one of its extension
 * when the allowlist lists it, else the browser's guess, else
 * application/octet-stream, which the server then rejects with its reason.
 */
export function contentTypeOf(file: File): string {
  const dot = file.name.lastIndexOf('.');
  const extension = dot === -1 ? '' : file.name.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES_BY_EXTENSION[extension] ?? (file.type || 'application/octet-stream');
}
