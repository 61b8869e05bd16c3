/**
 * Magic-byte check for evidence files (audit workpapers).
 *
 * After an upload the server reads the object's first MAGIC_PREFIX_BYTES bytes and checks
 * that they fit the declared content type (matchesMagic). content-signatures.ts recognises
 * the formats. Every function here is pure.
 */

import {
  type BinaryFormat,
  decodeUtf8,
  findPdfHeader,
  identifyFormat,
  PDF_HEADER_WINDOW_BYTES,
  skipUtf8Bom,
  wideTextEncoding,
} from './content-signatures.ts';
import {
  DEFINITIONS_BY_CONTENT_TYPE,
  type EvidenceFileDefinition,
  type TextSyntax,
  withArticle,
} from './evidence-file-types.ts';
import { parseMediaType } from './media-type.ts';
import { printable } from './message-format.ts';

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

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
