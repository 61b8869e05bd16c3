/**
 * Byte-level recognition of file formats from the first bytes of a file (their magic bytes).
 * evidence-file-types.ts decides which formats an evidence file may have. This module only
 * recognises formats and checks that text is UTF-8.
 */

/** A file format recognised by its first bytes. */
export interface IdentifiedFormat {
  /** Format name with its indefinite article, as messages use it: 'a PNG image'. */
  readonly name: string;
  /** Tests the signature at offset 0. */
  readonly matches: (bytes: Buffer) => boolean;
}

/** A binary format that evidence files may have, recognised by a signature at offset 0. */
export interface BinaryFormat extends IdentifiedFormat {
  /** The signature as a message shows it, e.g. '89 50 4E 47 0D 0A 1A 0A'. */
  readonly signature: string;
  /**
   * Size in bytes of the fixed header that every file of this format starts with, so a
   * whole file that is shorter is damaged or not of this format.
   */
  readonly headerBytes: number;
}

function startsWithBytes(bytes: Buffer, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) {
    return false;
  }
  return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(text: string): number[] {
  return [...Buffer.from(text, 'latin1')];
}

function identifiedFormat(
  name: string,
  signatures: readonly (readonly number[])[],
): IdentifiedFormat {
  return {
    name,
    matches: (bytes) => signatures.some((candidate) => startsWithBytes(bytes, candidate)),
  };
}

function signatureFormat(
  name: string,
  signatures: readonly (readonly number[])[],
  headerBytes: number,
): BinaryFormat {
  const signature = signatures
    .map((bytes) =>
      bytes.map((value) => value.toString(16).toUpperCase().padStart(2, '0')).join(' '),
    )
    .join(' or ');
  return { ...identifiedFormat(name, signatures), signature, headerBytes };
}

/** PNG signature. A whole file needs the 8-byte signature and the 25-byte IHDR chunk. */
export const PNG_FORMAT = signatureFormat(
  'a PNG image',
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  33,
);

/** JPEG start-of-image marker FF D8 followed by the FF that starts the next marker. */
export const JPEG_FORMAT = signatureFormat('a JPEG image', [[0xff, 0xd8, 0xff]], 3);

/** GIF header. A whole file needs the 6-byte header and the 7-byte logical screen descriptor. */
export const GIF_FORMAT = signatureFormat('a GIF image', [ascii('GIF87a'), ascii('GIF89a')], 13);

/**
 * TIFF header: byte order II (little-endian) or MM (big-endian), then the version 42 in that
 * byte order. BigTIFF uses version 43 and is accepted too, because it is the TIFF variant
 * for files over 4 GiB and uses the same .tif extension.
 */
export const TIFF_FORMAT = signatureFormat(
  'a TIFF image',
  [
    [0x49, 0x49, 0x2a, 0x00],
    [0x4d, 0x4d, 0x00, 0x2a],
    [0x49, 0x49, 0x2b, 0x00],
    [0x4d, 0x4d, 0x00, 0x2b],
  ],
  8,
);

/**
 * ZIP local file header signature PK 03 04, which starts every ZIP archive that contains at
 * least one entry. Office Open XML documents (docx, xlsx, pptx) are ZIP
 * archives. A local file header is 30 bytes before its file name.
 */
export const ZIP_FORMAT = signatureFormat('a ZIP archive', [[0x50, 0x4b, 0x03, 0x04]], 30);

/**
 * OLE compound file signature (Compound File Binary format), the container of Office
 * 97-2003 documents and Outlook .msg files. Its header sector is 512 bytes.
 */
export const OLE_FORMAT = signatureFormat(
  'an OLE compound file (a legacy Office document)',
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
  512,
);

/** `%PDF-`, the start of the header line of a PDF file. */
export const PDF_MARKER = Buffer.from('%PDF-', 'latin1');

/**
 * Number of leading bytes in which Acrobat looks for the PDF header. An implementation note
 * in Appendix H of the PDF 1.4 Reference states that Acrobat viewers require the header only
 * somewhere within the first 1024 bytes, and files with printer commands or other data
 * before it exist.
 */
export const PDF_HEADER_WINDOW_BYTES = 1024;

/**
 * Windows executable (PE): an MS-DOS header starting with MZ whose e_lfanew field, a
 * little-endian uint32 at offset 0x3C, points to the PE\0\0 signature. Checking the pointer
 * keeps ordinary text that happens to start with "MZ" from matching.
 */
const WINDOWS_EXECUTABLE_FORMAT: IdentifiedFormat = {
  name: 'a Windows executable',
  matches: (bytes) => {
    if (bytes.length < 64 || !startsWithBytes(bytes, [0x4d, 0x5a])) {
      return false;
    }
    const peOffset = bytes.readUInt32LE(0x3c);
    return startsWithBytes(bytes, [0x50, 0x45, 0x00, 0x00], peOffset);
  },
};

/**
 * Formats recognised only to say what a rejected file is. The list covers executables and
 * the common archive and image formats, so it is not every format there is.
 */
const IDENTIFIED_FORMATS: readonly IdentifiedFormat[] = [
  identifiedFormat('a PDF document', [[...PDF_MARKER]]),
  PNG_FORMAT,
  JPEG_FORMAT,
  GIF_FORMAT,
  TIFF_FORMAT,
  ZIP_FORMAT,
  identifiedFormat('an empty ZIP archive', [[0x50, 0x4b, 0x05, 0x06]]),
  identifiedFormat('a split ZIP archive', [[0x50, 0x4b, 0x07, 0x08]]),
  OLE_FORMAT,
  WINDOWS_EXECUTABLE_FORMAT,
  identifiedFormat('an ELF executable', [[0x7f, 0x45, 0x4c, 0x46]]),
  identifiedFormat('a Mach-O executable', [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
  ]),
  identifiedFormat('a gzip archive', [[0x1f, 0x8b, 0x08]]),
  identifiedFormat('a 7-Zip archive', [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]]),
  identifiedFormat('a RAR archive', [[0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]]),
];

/** Returns the name of the format whose signature starts `bytes`, or undefined if none does. */
export function identifyFormat(bytes: Buffer): string | undefined {
  return IDENTIFIED_FORMATS.find((format) => format.matches(bytes))?.name;
}

/** Returns the offset of `%PDF-` if it starts within the first 1024 bytes, else -1. */
export function findPdfHeader(bytes: Buffer): number {
  const window = bytes.subarray(0, PDF_HEADER_WINDOW_BYTES + PDF_MARKER.length - 1);
  return window.indexOf(PDF_MARKER);
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Returns the bytes after a UTF-8 byte order mark, or all of them when there is none. */
export function skipUtf8Bom(bytes: Buffer): Buffer {
  return startsWithBytes(bytes, UTF8_BOM) ? bytes.subarray(UTF8_BOM.length) : bytes;
}

/**
 * Returns 'UTF-32' or 'UTF-16' when `bytes` starts with that encoding's byte order mark.
 * UTF-32LE is tested first because its mark FF FE 00 00 starts with the UTF-16LE mark FF FE.
 */
export function wideTextEncoding(bytes: Buffer): 'UTF-16' | 'UTF-32' | undefined {
  if (
    startsWithBytes(bytes, [0xff, 0xfe, 0x00, 0x00]) ||
    startsWithBytes(bytes, [0x00, 0x00, 0xfe, 0xff])
  ) {
    return 'UTF-32';
  }
  if (startsWithBytes(bytes, [0xff, 0xfe]) || startsWithBytes(bytes, [0xfe, 0xff])) {
    return 'UTF-16';
  }
  return undefined;
}

/** Result of decoding a file's first bytes as UTF-8. */
export type Utf8Decoding =
  | { readonly valid: true; readonly text: string }
  | { readonly valid: false; readonly invalidOffset: number }
  | { readonly valid: false; readonly truncated: true };

/**
 * Decodes `bytes` as UTF-8 with the WHATWG decoder in fatal mode, which rejects overlong
 * forms, surrogates and code points above U+10FFFF, and drops a leading byte order mark.
 * When `complete` is false, the bytes are the start of a longer file, so a multi-byte
 * sequence cut off at the end is accepted as long as its bytes so far are valid.
 * On failure, returns the offset where the first invalid byte sequence starts, or
 * `truncated` when the whole file ends inside a sequence.
 */
export function decodeUtf8(bytes: Buffer, complete: boolean): Utf8Decoding {
  const text = tryDecodeUtf8(bytes, !complete);
  if (text !== undefined) {
    return { valid: true, text };
  }
  if (tryDecodeUtf8(bytes, true) !== undefined) {
    return { valid: false, truncated: true };
  }

  // Binary search for the shortest failing start. In stream mode the decoder accepts a
  // start exactly when it contains no invalid byte, so failure is monotonic in the length.
  let valid = 0;
  let invalid = bytes.length;
  while (invalid - valid > 1) {
    const middle = Math.floor((valid + invalid) / 2);
    if (tryDecodeUtf8(bytes.subarray(0, middle), true) === undefined) {
      invalid = middle;
    } else {
      valid = middle;
    }
  }

  // The byte at invalid - 1 broke the sequence that was pending before it. That sequence
  // starts where the bytes before it last decode as complete text, at most 3 bytes back.
  const failedAt = invalid - 1;
  let start = failedAt;
  while (
    start > failedAt - 3 &&
    start > 0 &&
    tryDecodeUtf8(bytes.subarray(0, start), false) === undefined
  ) {
    start -= 1;
  }
  return { valid: false, invalidOffset: start };
}

function tryDecodeUtf8(bytes: Buffer, stream: boolean): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream });
  } catch (error) {
    if (error instanceof TypeError) {
      return undefined;
    }
    throw error;
  }
}
