/**
 * Allowlist of evidence files (audit workpapers). It lists the file types whose content
 * matchesMagic can verify and builds the policy that selects which of them a deployment accepts.
 */

import {
  type BinaryFormat,
  GIF_FORMAT,
  JPEG_FORMAT,
  OLE_FORMAT,
  PNG_FORMAT,
  TIFF_FORMAT,
  ZIP_FORMAT,
} from './content-signatures.ts';
import { listOf } from './message-format.ts';

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
export type TextSyntax = 'any' | 'json' | 'xml' | 'email';

/** Check that matchesMagic applies to the first bytes of one kind of file. */
type ContentCheck =
  | { readonly kind: 'pdf' }
  | { readonly kind: 'binary'; readonly format: BinaryFormat }
  | { readonly kind: 'text'; readonly syntax: TextSyntax };

/** An evidence file type with the article for its messages and the check for matchesMagic. */
export interface EvidenceFileDefinition extends EvidenceFileType {
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

export const DEFINITIONS_BY_CONTENT_TYPE: ReadonlyMap<string, EvidenceFileDefinition> = new Map(
  DEFINITIONS.map((definition) => [definition.contentType, definition]),
);

/**
 * Every kind of evidence file whose content matchesMagic can verify. A policy may allow a
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

export function definitionsOf(contentTypes: ReadonlySet<string>): EvidenceFileDefinition[] {
  return DEFINITIONS.filter((definition) => contentTypes.has(definition.contentType));
}

export function acceptsEmptyFile(definition: EvidenceFileDefinition): boolean {
  return definition.check.kind === 'text' && definition.check.syntax === 'any';
}

export function withArticle(definition: EvidenceFileDefinition): string {
  return `${definition.article} ${definition.description}`;
}

/** One media type that a policy allows, with the allowed extensions of that type. */
export interface AllowedFileType {
  contentType: string;
  description: string;
  extensions: string[];
}

/** List the file types that `policy` allows, each with only its allowed extensions. */
export function allowedFileTypes(policy: EvidenceContentPolicy): AllowedFileType[] {
  return definitionsOf(policy.contentTypes).map((definition) => ({
    contentType: definition.contentType,
    description: definition.description,
    extensions: definition.extensions.filter((extension) => policy.extensions.has(extension)),
  }));
}
