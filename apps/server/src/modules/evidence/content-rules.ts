/**
 * Allowlist and magic-byte rules for evidence files (audit workpapers).
 *
 * Browsers upload evidence straight to object storage. The server checks the declared file
 * name, size and content type before it issues the upload (checkDeclaration). After the
 * upload it reads the object's first MAGIC_PREFIX_BYTES bytes and checks that they fit the
 * declared content type (matchesMagic). Every function here is pure.
 */

import {
  type BinaryFormat,
  decodeUtf8,
  findPdfHeader,
  GIF_FORMAT,
  identifyFormat,
  JPEG_FORMAT,
  OLE_FORMAT,
  PDF_HEADER_WINDOW_BYTES,
  PNG_FORMAT,
  skipUtf8Bom,
  TIFF_FORMAT,
  wideTextEncoding,
  ZIP_FORMAT,
} from './content-signatures.ts';

/** One allowed kind of evidence file. */
export interface EvidenceFileType {
  /** Media type in lowercase without parameters, e.g. 'application/pdf'. */
  readonly contentType: string;
  /** File extensions in lowercase without the dot, e.g. ['jpg', 'jpeg']. */
  readonly extensions: readonly string[];
  /** Name of the kind of file for messages, e.g. 'PDF document'. */
  readonly description: string;
}

/** Syntax that a text file must start with, beyond being UTF-8 text. */
type TextSyntax = 'any' | 'json' | 'xml' | 'email';

/** Check that matchesMagic applies to the first bytes of one kind of file. */
type ContentCheck =
  | { readonly kind: 'pdf' }
  | { readonly kind: 'binary'; readonly format: BinaryFormat }
  | { readonly kind: 'text'; readonly syntax: TextSyntax };

interface EvidenceFileDefinition extends EvidenceFileType {
  /** Indefinite article for `description`, as in the message "... not a PDF document". */
  readonly article: 'a' | 'an';
  readonly check: ContentCheck;
}

const OOXML = 'application/vnd.openxmlformats-officedocument';

const DEFINITIONS: readonly EvidenceFileDefinition[] = [
  {
    contentType: 'application/pdf',
    extensions: ['pdf'],
    description: 'PDF document',
    article: 'a',
    check: { kind: 'pdf' },
  },
  {
    contentType: 'image/png',
    extensions: ['png'],
    description: 'PNG image',
    article: 'a',
    check: { kind: 'binary', format: PNG_FORMAT },
  },
  {
    contentType: 'image/jpeg',
    extensions: ['jpg', 'jpeg'],
    description: 'JPEG image',
    article: 'a',
    check: { kind: 'binary', format: JPEG_FORMAT },
  },
  {
    contentType: 'image/gif',
    extensions: ['gif'],
    description: 'GIF image',
    article: 'a',
    check: { kind: 'binary', format: GIF_FORMAT },
  },
  {
    contentType: 'image/tiff',
    extensions: ['tif', 'tiff'],
    description: 'TIFF image',
    article: 'a',
    check: { kind: 'binary', format: TIFF_FORMAT },
  },
  {
    contentType: `${OOXML}.spreadsheetml.sheet`,
    extensions: ['xlsx'],
    description: 'Excel workbook',
    article: 'an',
    check: { kind: 'binary', format: ZIP_FORMAT },
  },
  {
    contentType: `${OOXML}.wordprocessingml.document`,
    extensions: ['docx'],
    description: 'Word document',
    article: 'a',
    check: { kind: 'binary', format: ZIP_FORMAT },
  },
  {
    contentType: `${OOXML}.presentationml.presentation`,
    extensions: ['pptx'],
    description: 'PowerPoint presentation',
    article: 'a',
    check: { kind: 'binary', format: ZIP_FORMAT },
  },
  {
    contentType: 'application/msword',
    extensions: ['doc'],
    description: 'Word 97-2003 document',
    article: 'a',
    check: { kind: 'binary', format: OLE_FORMAT },
  },
  {
    contentType: 'application/vnd.ms-excel',
    extensions: ['xls'],
    description: 'Excel 97-2003 workbook',
    article: 'an',
    check: { kind: 'binary', format: OLE_FORMAT },
  },
  {
    contentType: 'application/vnd.ms-outlook',
    extensions: ['msg'],
    description: 'Outlook message',
    article: 'an',
    check: { kind: 'binary', format: OLE_FORMAT },
  },
  {
    contentType: 'application/zip',
    extensions: ['zip'],
    description: 'ZIP archive',
    article: 'a',
    check: { kind: 'binary', format: ZIP_FORMAT },
  },
  {
    contentType: 'text/csv',
    extensions: ['csv'],
    description: 'CSV file',
    article: 'a',
    check: { kind: 'text', syntax: 'any' },
  },
  {
    contentType: 'text/plain',
    extensions: ['txt', 'log'],
    description: 'plain text file',
    article: 'a',
    check: { kind: 'text', syntax: 'any' },
  },
  {
    contentType: 'application/json',
    extensions: ['json'],
    description: 'JSON document',
    article: 'a',
    check: { kind: 'text', syntax: 'json' },
  },
  {
    contentType: 'application/xml',
    extensions: ['xml'],
    description: 'XML document',
    article: 'an',
    check: { kind: 'text', syntax: 'xml' },
  },
  {
    contentType: 'text/xml',
    extensions: ['xml'],
    description: 'XML document',
    article: 'an',
    check: { kind: 'text', syntax: 'xml' },
  },
  {
    contentType: 'message/rfc822',
    extensions: ['eml'],
    description: 'email message',
    article: 'an',
    check: { kind: 'text', syntax: 'email' },
  },
];

const DEFINITIONS_BY_CONTENT_TYPE: ReadonlyMap<string, EvidenceFileDefinition> = new Map(
  DEFINITIONS.map((definition) => [definition.contentType, definition]),
);

/**
 * Every kind of evidence file whose content this module can verify. A policy may allow a
 * subset of them, never more, because matchesMagic has no check for any other type.
 */
export const EVIDENCE_FILE_TYPES: readonly EvidenceFileType[] = Object.freeze(
  DEFINITIONS.map(({ contentType, extensions, description }) =>
    Object.freeze({ contentType, extensions: Object.freeze([...extensions]), description }),
  ),
);

const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set(
  DEFINITIONS.flatMap((definition) => definition.extensions),
);

/** Evidence files that a deployment accepts. Build it with evidenceContentPolicy. */
export interface EvidenceContentPolicy {
  /** Maximum file size in bytes. */
  readonly maxBytes: number;
  /** Allowed media types, a subset of those in EVIDENCE_FILE_TYPES. */
  readonly contentTypes: ReadonlySet<string>;
  /** Allowed file extensions in lowercase without the dot. */
  readonly extensions: ReadonlySet<string>;
}

/** Configuration for evidenceContentPolicy. */
export interface EvidenceContentPolicyOptions {
  /** Maximum file size in bytes. */
  readonly maxBytes: number;
  /** Allowed media types. Unset allows every type that has an allowed extension. */
  readonly contentTypes?: readonly string[];
  /** Allowed extensions without the dot. Unset allows every extension of the allowed types. */
  readonly extensions?: readonly string[];
}

/**
 * Builds a policy from configuration lists, ignoring case and surrounding whitespace in them.
 *
 * Throws a TypeError naming the bad value when `maxBytes` is not a positive safe integer, or
 * when a content type or extension is missing from EVIDENCE_FILE_TYPES. An unknown type must
 * fail at startup because matchesMagic could not verify such files. It also throws when a
 * list is empty, or when an allowed extension has no allowed content type (or the reverse),
 * because such a setting is a mistake that would silently block those files.
 * With neither list set, every known type and extension is allowed.
 */
export function evidenceContentPolicy(
  options: EvidenceContentPolicyOptions,
): EvidenceContentPolicy {
  const { maxBytes } = options;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new TypeError(
      `The evidence maxBytes ${String(maxBytes)} is invalid. Set it to a whole number of bytes from 1 to ${Number.MAX_SAFE_INTEGER}.`,
    );
  }

  const configuredTypes = normalizeList(options.contentTypes, 'contentTypes');
  const configuredExtensions = normalizeList(options.extensions, 'extensions');

  for (const contentType of configuredTypes ?? []) {
    if (!DEFINITIONS_BY_CONTENT_TYPE.has(contentType)) {
      throw new TypeError(
        `The evidence content type ${JSON.stringify(contentType)} is unknown, so its content cannot be verified. Use only these content types: ${listOf(DEFINITIONS_BY_CONTENT_TYPE.keys())}.`,
      );
    }
  }
  for (const extension of configuredExtensions ?? []) {
    if (!KNOWN_EXTENSIONS.has(extension)) {
      throw new TypeError(
        `The evidence file extension ${JSON.stringify(extension)} is unknown, so its content cannot be verified. Use only these extensions, without the dot: ${listOf(KNOWN_EXTENSIONS)}.`,
      );
    }
  }

  const contentTypes = new Set(
    configuredTypes ??
      DEFINITIONS.filter(
        (definition) =>
          configuredExtensions === undefined ||
          definition.extensions.some((extension) => configuredExtensions.includes(extension)),
      ).map((definition) => definition.contentType),
  );
  const extensions = new Set(
    configuredExtensions ??
      definitionsOf(contentTypes).flatMap((definition) => definition.extensions),
  );

  for (const definition of definitionsOf(contentTypes)) {
    if (!definition.extensions.some((extension) => extensions.has(extension))) {
      throw new TypeError(
        `The evidence content type ${definition.contentType} is allowed, but none of its extensions (${definition.extensions.join(', ')}) is, so no file could use it. Add an extension or remove the content type.`,
      );
    }
  }
  for (const extension of extensions) {
    const owners = DEFINITIONS.filter((definition) => definition.extensions.includes(extension));
    if (!owners.some((definition) => contentTypes.has(definition.contentType))) {
      const ownerTypes = owners.map((definition) => definition.contentType).join(' or ');
      throw new TypeError(
        `The evidence file extension ${extension} is allowed, but its content type ${ownerTypes} is not, so no file could use it. Add the content type or remove the extension.`,
      );
    }
  }

  return Object.freeze({ maxBytes, contentTypes, extensions });
}

function normalizeList(
  values: readonly string[] | undefined,
  name: 'contentTypes' | 'extensions',
): string[] | undefined {
  if (values === undefined) {
    return undefined;
  }
  const normalized = values.map((value) => {
    if (typeof value !== 'string') {
      throw new TypeError(
        `The evidence ${name} list contains ${String(value)}, which is not a string.`,
      );
    }
    return value.trim().toLowerCase();
  });
  if (normalized.length === 0) {
    throw new TypeError(
      `The evidence ${name} list is empty, so no file could be uploaded. List at least one value, or leave it unset to allow all.`,
    );
  }
  return normalized;
}

function definitionsOf(contentTypes: ReadonlySet<string>): EvidenceFileDefinition[] {
  return DEFINITIONS.filter((definition) => contentTypes.has(definition.contentType));
}

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

interface MediaType {
  /** Type and subtype in lowercase, e.g. 'text/csv'. */
  readonly essence: string;
  /** Parameters in order, names in lowercase and values unquoted. */
  readonly parameters: readonly { readonly name: string; readonly value: string }[];
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const ESSENCE = new RegExp(`^[ \\t]*(${TOKEN})/(${TOKEN})[ \\t]*`, 'y');
// A quoted-string may contain any visible ASCII character and escape any of them with \.
const PARAMETER = new RegExp(
  `;[ \\t]*(?:(${TOKEN})=(${TOKEN}|"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\t \\x21-\\x7e])*"))?[ \\t]*`,
  'y',
);

/**
 * Parses a Content-Type value by the grammar of RFC 9110 sections 8.3.1 and 5.6.6, which
 * allows empty parameters such as `text/csv;`. Returns undefined when the value does not
 * fit the grammar.
 */
function parseMediaType(value: string): MediaType | undefined {
  ESSENCE.lastIndex = 0;
  const essence = ESSENCE.exec(value);
  if (essence === null) {
    return undefined;
  }

  const parameters: { name: string; value: string }[] = [];
  let position = ESSENCE.lastIndex;
  while (position < value.length) {
    PARAMETER.lastIndex = position;
    const parameter = PARAMETER.exec(value);
    if (parameter === null) {
      return undefined;
    }
    const [, name, rawValue] = parameter;
    if (name !== undefined && rawValue !== undefined) {
      const unquoted = rawValue.startsWith('"')
        ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1')
        : rawValue;
      parameters.push({ name: name.toLowerCase(), value: unquoted });
    }
    position = PARAMETER.lastIndex;
  }

  const [, type = '', subtype = ''] = essence;
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}

/**
 * Number of bytes from the start of a file that matchesMagic examines. It covers the
 * 1024-byte window in which Acrobat looks for the PDF header and gives the text checks
 * 8 KiB of content to scan for NUL bytes and invalid UTF-8.
 */
export const MAGIC_PREFIX_BYTES = 8192;

/** Outcome of matchesMagic. `reason` is a sentence for the uploader saying what was found. */
export type MagicResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const MATCH: MagicResult = Object.freeze({ ok: true });

function mismatch(reason: string): MagicResult {
  return { ok: false, reason };
}

/**
 * Checks that the first bytes of an uploaded file fit its declared content type.
 *
 * Pass the first MAGIC_PREFIX_BYTES bytes with `complete` false, or the whole file with
 * `complete` true when it is not longer. Bytes past MAGIC_PREFIX_BYTES are ignored, and the
 * prefix then counts as incomplete. A shorter prefix with `complete` false throws a
 * RangeError, because a check on too few bytes could pass a file that it should reject.
 * Parameters of `contentType` are ignored here because checkDeclaration validates them.
 * A content type missing from EVIDENCE_FILE_TYPES throws a TypeError.
 *
 * The rules by kind of file:
 * - PDF: `%PDF-` must start within the first 1024 bytes, as Acrobat accepts, and the file
 *   must not start with another known signature, which would make it a polyglot.
 * - Images, ZIP and OLE containers: the file must start with the format's signature, and a
 *   whole file must not be shorter than the format's fixed header. An empty ZIP archive
 *   (PK 05 06) is rejected because it contains no evidence.
 * - Text (CSV, plain text, JSON, XML, email): the bytes must be UTF-8 with an optional byte
 *   order mark and no NUL byte, and must not start with a known binary signature. A
 *   multi-byte sequence cut off at the end is accepted only when `complete` is false.
 *   UTF-16 and UTF-32 files are rejected, even with a byte order mark, because text evidence
 *   is declared as UTF-8 (charset=utf-8 is the only charset a declaration may carry).
 *   JSON must start with a JSON value, XML with `<`, both after optional whitespace, and an
 *   email message with a header field.
 * - Empty files: only CSV and plain text accept them. Every other type needs at least its
 *   signature, a value, an element or a header field.
 *
 * NOTE: the prefix proves only the container format. A docx, xlsx and pptx all start like
 * any ZIP archive, and a doc, xls and msg like any OLE file, so this check cannot
 * distinguish them. Text checks cover only the first 8 KiB.
 */
export function matchesMagic(contentType: string, prefix: Buffer, complete: boolean): MagicResult {
  const definition = findDefinition(contentType);
  if (!complete && prefix.length < MAGIC_PREFIX_BYTES) {
    throw new RangeError(
      `matchesMagic needs the first ${MAGIC_PREFIX_BYTES} bytes of the file, or the whole file with complete set to true, but got ${prefix.length} bytes of an incomplete file.`,
    );
  }

  const isWholeFile = complete && prefix.length <= MAGIC_PREFIX_BYTES;
  const bytes = prefix.subarray(0, MAGIC_PREFIX_BYTES);
  const { check } = definition;
  switch (check.kind) {
    case 'pdf':
      return checkPdf(bytes);
    case 'binary':
      return checkBinary(bytes, isWholeFile, check.format, definition);
    case 'text':
      return checkText(bytes, isWholeFile, check.syntax, definition);
  }
}

function findDefinition(contentType: string): EvidenceFileDefinition {
  const mediaType = typeof contentType === 'string' ? parseMediaType(contentType) : undefined;
  const definition =
    mediaType === undefined ? undefined : DEFINITIONS_BY_CONTENT_TYPE.get(mediaType.essence);
  if (definition === undefined) {
    throw new TypeError(
      `The content type ${printable(String(contentType))} is not an evidence file type, so its content cannot be verified. Check the declaration with checkDeclaration first.`,
    );
  }
  return definition;
}

function checkPdf(bytes: Buffer): MagicResult {
  if (bytes.length === 0) {
    return mismatch('The file is empty, so it is not a PDF document.');
  }

  const headerOffset = findPdfHeader(bytes);
  if (headerOffset === 0) {
    return MATCH;
  }

  const found = identifyFormat(bytes);
  if (found !== undefined && headerOffset > 0) {
    return mismatch(
      `The file starts like ${found}, not a PDF document, although it contains a PDF header at offset ${headerOffset}.`,
    );
  }
  if (found !== undefined) {
    return mismatch(`The file starts like ${found}, not a PDF document.`);
  }
  if (headerOffset < 0) {
    return mismatch(
      `The file has no %PDF- header in its first ${PDF_HEADER_WINDOW_BYTES} bytes, so it is not a PDF document.`,
    );
  }
  return MATCH;
}

function checkBinary(
  bytes: Buffer,
  isWholeFile: boolean,
  format: BinaryFormat,
  definition: EvidenceFileDefinition,
): MagicResult {
  const expected = withArticle(definition);
  if (bytes.length === 0) {
    return mismatch(`The file is empty, so it is not ${expected}.`);
  }

  if (format.matches(bytes)) {
    if (isWholeFile && bytes.length < format.headerBytes) {
      return mismatch(
        `The file is ${bytes.length} bytes long, too short to be ${expected}, which needs at least ${format.headerBytes} bytes.`,
      );
    }
    return MATCH;
  }

  const found = identifyFormat(bytes);
  if (found !== undefined) {
    return mismatch(`The file starts like ${found}, not ${expected}.`);
  }
  return mismatch(
    `The file does not start with the signature of ${expected} (${format.signature}).`,
  );
}

function checkText(
  bytes: Buffer,
  isWholeFile: boolean,
  syntax: TextSyntax,
  definition: EvidenceFileDefinition,
): MagicResult {
  const expected = withArticle(definition);
  const mustBeUtf8 = `${capitalize(expected)} must be UTF-8 text`;

  const wideEncoding = wideTextEncoding(bytes);
  if (wideEncoding !== undefined) {
    return mismatch(
      `The file starts with a ${wideEncoding} byte order mark. ${mustBeUtf8}, so save it as UTF-8 and upload it again.`,
    );
  }

  const body = skipUtf8Bom(bytes);
  const found = identifyFormat(body);
  if (found !== undefined) {
    return mismatch(`The file starts like ${found}, not ${expected}.`);
  }

  const nulOffset = bytes.indexOf(0);
  if (nulOffset >= 0) {
    return mismatch(
      `The file contains a NUL byte at offset ${nulOffset}, so it is binary data or UTF-16 text. ${mustBeUtf8} without NUL bytes.`,
    );
  }

  const decoding = decodeUtf8(bytes, isWholeFile);
  if (!decoding.valid) {
    const where =
      'truncated' in decoding
        ? 'ends in the middle of a UTF-8 character'
        : `contains invalid UTF-8 at offset ${decoding.invalidOffset}`;
    return mismatch(`The file ${where}. ${mustBeUtf8}, so save it as UTF-8 and upload it again.`);
  }

  return checkTextSyntax(decoding.text, isWholeFile, syntax);
}

/** Checks how decoded text starts. `text` has no byte order mark because the decoder drops it. */
function checkTextSyntax(text: string, isWholeFile: boolean, syntax: TextSyntax): MagicResult {
  switch (syntax) {
    case 'any':
      return MATCH;

    case 'json': {
      // JSON whitespace (RFC 8259 section 2) is space, tab, line feed and carriage return.
      const start = text.search(/[^ \t\n\r]/);
      if (start < 0) {
        return isWholeFile
          ? mismatch('The file contains no JSON value, so it is not a JSON document.')
          : MATCH;
      }
      if (!/^(?:[{["\-0-9]|true|false|null)/.test(text.slice(start))) {
        return mismatch(
          'The file does not start with a JSON value (an object, array, string, number, true, false or null), so it is not a JSON document.',
        );
      }
      return MATCH;
    }

    case 'xml': {
      // XML 1.0 whitespace (production S) is space, tab, carriage return and line feed.
      const start = text.search(/[^ \t\n\r]/);
      if (start < 0) {
        return isWholeFile
          ? mismatch('The file contains no XML element, so it is not an XML document.')
          : MATCH;
      }
      if (text[start] !== '<') {
        return mismatch('The file does not start with <, so it is not an XML document.');
      }
      return MATCH;
    }

    case 'email': {
      // RFC 5322 field-name is printable ASCII except the colon. The obsolete syntax allows
      // whitespace before the colon. Some mail clients keep the mbox "From " line.
      if (/^(?:[\x21-\x39\x3b-\x7e]+[ \t]*:|From )/.test(text)) {
        return MATCH;
      }
      if (text.length === 0 && isWholeFile) {
        return mismatch('The file is empty, so it is not an email message.');
      }
      return mismatch(
        'The file does not start with a header field such as From: or Received:, so it is not an email message.',
      );
    }
  }
}

function acceptsEmptyFile(definition: EvidenceFileDefinition): boolean {
  return definition.check.kind === 'text' && definition.check.syntax === 'any';
}

/**
 * Builds a Content-Disposition header value for downloading an evidence file, following
 * RFC 6266 with the RFC 8187 (formerly RFC 5987) `filename*` parameter.
 *
 * `filename*` carries the exact name as percent-encoded UTF-8, escaping every byte that is
 * not an RFC 8187 attr-char. `filename` is a quoted ASCII fallback for old clients. It keeps
 * printable ASCII, reduces accented letters to their base letter (é to e) and replaces
 * every other character, as well as `"` and `\`, with `_`. It also replaces `%` before two hex
 * digits, which some clients decode (RFC 6266 appendix D). The value is therefore printable
 * ASCII whatever the name contains, so a name cannot inject a header or a parameter.
 * Unpaired surrogates become U+FFFD. An empty name throws a TypeError.
 */
export function contentDisposition(kind: 'attachment' | 'inline', fileName: string): string {
  if (kind !== 'attachment' && kind !== 'inline') {
    throw new TypeError(
      `The disposition type ${printable(String(kind))} is invalid. Use attachment or inline.`,
    );
  }
  if (typeof fileName !== 'string' || fileName.length === 0) {
    throw new TypeError('contentDisposition needs a non-empty file name.');
  }

  const name = fileName.toWellFormed();
  return `${kind}; filename="${asciiFileName(name)}"; filename*=UTF-8''${encodeExtendedValue(name)}`;
}

function asciiFileName(name: string): string {
  let result = '';
  for (const character of name) {
    // NFKD splits é into e and a combining accent (a mark), and ﬁ into f and i.
    const folded = character.normalize('NFKD').replace(/\p{M}/gu, '');
    if (folded === '') {
      continue; // a combining mark after its base letter, as in decomposed "e\u0301"
    }
    result += /^[\x20-\x7e]+$/.test(folded) ? folded : '_';
  }
  return result.replace(/["\\]/g, '_').replace(/%(?=[0-9A-Fa-f]{2})/g, '_');
}

/** Percent-encodes UTF-8 bytes outside RFC 8187 attr-char (letters, digits, !#$&+-.^_`|~). */
function encodeExtendedValue(name: string): string {
  let result = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const character = String.fromCharCode(byte);
    result += /^[A-Za-z0-9!#$&+\-.^_`|~]$/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return result;
}

function withArticle(definition: EvidenceFileDefinition): string {
  return `${definition.article} ${definition.description}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Lowercases A-Z only, so that no non-ASCII letter can lowercase into an allowed extension. */
function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

function codePointOf(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Quotes a client-supplied value for a message, escaping non-ASCII, cut at 100 characters. */
function printable(value: string): string {
  const truncated = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return JSON.stringify(truncated).replace(
    /[^\x20-\x7e…]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function listOf(values: Iterable<string>): string {
  return [...values].sort().join(', ');
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
