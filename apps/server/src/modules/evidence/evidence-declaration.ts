/**
 * Declaration check for evidence files (audit workpapers).
 *
 * Browsers upload evidence straight to object storage. The server checks the declared file
 * name, size and content type before it issues the upload (checkDeclaration). Every function
 * here is pure.
 */

import {
  acceptsEmptyFile,
  DEFINITIONS_BY_CONTENT_TYPE,
  definitionsOf,
  type EvidenceContentPolicy,
  type EvidenceFileDefinition,
  withArticle,
} from './evidence-file-types.ts';
import { parseMediaType } from './media-type.ts';
import { listOf, printable } from './message-format.ts';

/** Stable codes of the problems that checkDeclaration returns. */
export const DECLARATION_PROBLEM_CODES = [
  'FILE_NAME_INVALID',
  'FILE_SIZE_INVALID',
  'FILE_TOO_LARGE',
  'FILE_EMPTY',
  'CONTENT_TYPE_NOT_ALLOWED',
  'EXTENSION_NOT_ALLOWED',
  'EXTENSION_MISMATCH',
] as const;

/** Code of a problem that checkDeclaration returns. */
export type DeclarationProblemCode = (typeof DECLARATION_PROBLEM_CODES)[number];

/** Reason to reject a declared evidence file, with a message for the uploader. */
export interface DeclarationProblem {
  readonly code: DeclarationProblemCode;
  /** Full sentences that name the rejected value and the fix. */
  readonly message: string;
}

/** File name, size in bytes and content type that a client declares before an upload. */
export interface EvidenceFileDeclaration {
  readonly fileName: string;
  readonly size: number;
  readonly contentType: string;
}

/**
 * Maximum length of a file name in Unicode code points. Common file systems allow 255 bytes
 * or UTF-16 units, so a valid name with many non-ASCII characters can still be too long for
 * some of them.
 */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * Checks a declared evidence file against the policy before any upload. Returns null when
 * the file is allowed, else the first problem found, in the order of these rules:
 *
 * - FILE_NAME_INVALID: the name is empty, longer than 255 code points, not well-formed
 *   Unicode, or contains a control, format (such as bidi overrides), line separator or
 *   path separator character. It is also invalid when it is `.` or `..`, starts with
 *   whitespace, ends with a dot or whitespace, or has nothing before its extension (`.pdf`).
 * - FILE_SIZE_INVALID: the size is not a safe integer of 0 or more. This is a malformed
 *   request rather than a file to reject, so it has its own code.
 * - FILE_TOO_LARGE: the size is above `policy.maxBytes`.
 * - CONTENT_TYPE_NOT_ALLOWED: the media type, compared without case, is missing, malformed or
 *   not allowed. It is also rejected when it has a parameter other than one `charset=utf-8`,
 *   which only text types may have, because text evidence must be UTF-8.
 * - EXTENSION_NOT_ALLOWED: the name has no extension, or the extension after the last dot,
 *   compared without case, is not allowed. So `invoice.pdf.exe` is rejected for `.exe`.
 * - EXTENSION_MISMATCH: the extension is allowed but not for the declared content type,
 *   for example `report.pdf` declared as image/png.
 * - FILE_EMPTY: the size is 0 and the type is not CSV or plain text, which are the only
 *   types whose content check accepts an empty file.
 *
 * Browsers on Windows can take File.type from the registry, for example
 * application/vnd.ms-excel for .csv or application/x-zip-compressed for .zip. A client should
 * therefore derive the content type from the extension with EVIDENCE_FILE_TYPES.
 */
export function checkDeclaration(
  policy: EvidenceContentPolicy,
  declared: EvidenceFileDeclaration,
): DeclarationProblem | null {
  const { fileName, size, contentType } = declared;

  const nameMessage = checkFileName(fileName);
  if (nameMessage !== undefined) {
    return { code: 'FILE_NAME_INVALID', message: nameMessage };
  }

  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return {
      code: 'FILE_SIZE_INVALID',
      message: `The declared size ${printable(String(size))} is not a whole number of bytes. Declare the file size in bytes, from 0 up.`,
    };
  }
  if (size > policy.maxBytes) {
    return {
      code: 'FILE_TOO_LARGE',
      message: `The file is ${formatBytes(size)}, larger than the ${formatBytes(policy.maxBytes)} limit for evidence files. Upload a smaller file, or split it into parts.`,
    };
  }

  const contentTypeCheck = checkContentType(policy, contentType);
  if (typeof contentTypeCheck === 'string') {
    return { code: 'CONTENT_TYPE_NOT_ALLOWED', message: contentTypeCheck };
  }
  const definition = contentTypeCheck;

  const lastDot = fileName.lastIndexOf('.');
  const allowedExtensions = `Allowed extensions: ${listOf([...policy.extensions].map((extension) => `.${extension}`))}.`;
  if (lastDot < 0) {
    return {
      code: 'EXTENSION_NOT_ALLOWED',
      message: `The file name ${JSON.stringify(fileName)} has no extension. Rename the file with an allowed extension. ${allowedExtensions}`,
    };
  }
  const extension = asciiLowerCase(fileName.slice(lastDot + 1));
  if (!policy.extensions.has(extension)) {
    return {
      code: 'EXTENSION_NOT_ALLOWED',
      message: `The extension .${extension} of ${JSON.stringify(fileName)} is not allowed for evidence files. ${allowedExtensions}`,
    };
  }
  if (!definition.extensions.includes(extension)) {
    const typeExtensions = definition.extensions
      .filter((candidate) => policy.extensions.has(candidate))
      .map((candidate) => `.${candidate}`)
      .join(' or ');
    const typesForExtension = definitionsOf(policy.contentTypes)
      .filter((candidate) => candidate.extensions.includes(extension))
      .map((candidate) => candidate.contentType)
      .join(' or ');
    return {
      code: 'EXTENSION_MISMATCH',
      message: `The extension .${extension} of ${JSON.stringify(fileName)} does not match the declared content type ${definition.contentType}, which takes ${typeExtensions}. For a .${extension} file, declare ${typesForExtension}.`,
    };
  }

  if (size === 0 && !acceptsEmptyFile(definition)) {
    return {
      code: 'FILE_EMPTY',
      message: `The file ${JSON.stringify(fileName)} is empty, but an empty file cannot be ${withArticle(definition)}. Upload the complete file.`,
    };
  }

  return null;
}

/** Returns a message when the file name is invalid, else undefined. */
function checkFileName(fileName: string): string | undefined {
  if (typeof fileName !== 'string' || fileName.length === 0) {
    return 'The file name is missing. Declare the name of the file, such as report.pdf.';
  }
  if (!fileName.isWellFormed()) {
    return 'The file name is not valid Unicode text because it contains an unpaired surrogate. Rename the file and upload it again.';
  }

  const length = [...fileName].length;
  if (length > MAX_FILE_NAME_LENGTH) {
    return `The file name is ${length} characters long. Shorten it to at most ${MAX_FILE_NAME_LENGTH} characters.`;
  }

  // Control characters could end a header or a log line. Format characters such as U+202E
  // (right-to-left override) can make "gpj.exe" display as "exe.jpg".
  const hidden = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.exec(fileName);
  if (hidden !== null) {
    return `The file name contains the control or invisible formatting character ${codePointOf(hidden[0])}. Rename the file without it.`;
  }
  if (/[/\\]/.test(fileName)) {
    return `The file name ${JSON.stringify(fileName)} contains a path separator (/ or \\). Declare the file name without its folder.`;
  }
  if (fileName === '.' || fileName === '..') {
    return `The file name ${JSON.stringify(fileName)} refers to a folder. Declare the name of the file, such as report.pdf.`;
  }
  if (/^\s/u.test(fileName)) {
    return `The file name ${JSON.stringify(fileName)} starts with whitespace. Remove it and upload the file again.`;
  }
  // Windows removes trailing dots and spaces, so such a name would change on download.
  if (/[.\s]$/u.test(fileName)) {
    return `The file name ${JSON.stringify(fileName)} ends with a dot or whitespace. Remove it and upload the file again.`;
  }
  if (fileName.lastIndexOf('.') === 0) {
    return `The file name ${JSON.stringify(fileName)} has nothing before its extension. Rename the file, for example to report${fileName}.`;
  }
  return undefined;
}

/** Returns the file type of an allowed content type, else a message saying what is wrong. */
function checkContentType(
  policy: EvidenceContentPolicy,
  contentType: string,
): EvidenceFileDefinition | string {
  const allowed = `Allowed content types: ${listOf(policy.contentTypes)}.`;
  if (typeof contentType !== 'string' || contentType.trim() === '') {
    return `The content type is missing. Declare the content type of the file. ${allowed}`;
  }

  const mediaType = parseMediaType(contentType);
  if (mediaType === undefined) {
    return `The content type ${printable(contentType)} is not a valid media type. ${allowed}`;
  }
  const definition = DEFINITIONS_BY_CONTENT_TYPE.get(mediaType.essence);
  if (definition === undefined || !policy.contentTypes.has(mediaType.essence)) {
    return `The content type ${printable(contentType)} is not allowed for evidence files. ${allowed}`;
  }

  if (mediaType.parameters.length === 0) {
    return definition;
  }
  if (definition.check.kind !== 'text') {
    return `The content type ${printable(contentType)} has parameters, but ${mediaType.essence} takes none. Declare it as ${mediaType.essence}.`;
  }
  const [parameter, ...others] = mediaType.parameters;
  const isUtf8Charset =
    parameter !== undefined &&
    parameter.name === 'charset' &&
    parameter.value.toLowerCase() === 'utf-8';
  if (!isUtf8Charset || others.length > 0) {
    return `The content type ${printable(contentType)} has a parameter other than charset=utf-8, but text evidence must be UTF-8. Declare it as ${mediaType.essence} or ${mediaType.essence}; charset=utf-8.`;
  }
  return definition;
}

/** Lowercases A-Z only, so that no non-ASCII letter can lowercase into an allowed extension. */
function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

function codePointOf(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) {
      break;
    }
    value /= 1024;
    unit = next;
  }
  if (unit === 'bytes') {
    return `${bytes} bytes`;
  }
  return `${Number(value.toFixed(1))} ${unit} (${bytes} bytes)`;
}
