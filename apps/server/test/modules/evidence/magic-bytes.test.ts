import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EVIDENCE_FILE_TYPES } from '../../../src/modules/evidence/evidence-file-types.ts';
import {
  MAGIC_PREFIX_BYTES,
  type MagicResult,
  matchesMagic,
} from '../../../src/modules/evidence/magic-bytes.ts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

function bytes(...parts: (string | readonly number[] | Uint8Array)[]): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (typeof part === 'string') {
        return Buffer.from(part, 'utf8');
      }
      return part instanceof Uint8Array ? part : Uint8Array.from(part);
    }),
  );
}

/** Pads `start` to MAGIC_PREFIX_BYTES, as the first bytes of a longer file. */
function prefixOf(start: Buffer, filler = 0x00): Buffer {
  const prefix = Buffer.alloc(MAGIC_PREFIX_BYTES, filler);
  start.copy(prefix);
  return prefix;
}

/** Pads text with more lines of text to MAGIC_PREFIX_BYTES. */
function textPrefix(start: Buffer): Buffer {
  return prefixOf(start, 0x0a);
}

function reasonOf(result: MagicResult): string {
  return result.ok ? '' : result.reason;
}

// Starts of real files of each format, cut to the bytes that matter.
const PDF = bytes('%PDF-1.7\n%', [0xe2, 0xe3, 0xcf, 0xd3], '\n1 0 obj\n<< /Type /Catalog >>\n');
/** PNG signature and IHDR chunk of a 256 x 256 RGBA image, with its CRC. */
const PNG = (() => {
  const chunk = bytes('IHDR', [0, 0, 1, 0, 0, 0, 1, 0, 0x08, 0x06, 0x00, 0x00, 0x00]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(chunk));
  return bytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d],
    chunk,
    crc,
  );
})();
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0x00, 0x01, 0x01, 0x00]);
const GIF = bytes('GIF89a', [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]);
const TIFF_LITTLE = bytes('II*', [0x00, 0x08, 0x00, 0x00, 0x00]);
const TIFF_BIG = bytes('MM', [0x00, 0x2a, 0x00, 0x00, 0x00, 0x08]);
const BIGTIFF = bytes('II', [0x2b, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0]);
const ZIP = bytes(
  [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00],
  [0x62, 0xee, 0x9d, 0x68, 0x5e, 0x01, 0x00, 0x00, 0x90, 0x04, 0x00, 0x00, 0x13, 0x00],
  [0x08, 0x02],
  '[Content_Types].xml',
);
const EMPTY_ZIP = bytes([0x50, 0x4b, 0x05, 0x06], new Array<number>(18).fill(0));
const OLE = bytes(
  [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
  new Array<number>(16).fill(0),
  [0x3e, 0x00, 0x03, 0x00, 0xfe, 0xff, 0x09, 0x00, 0x06, 0x00],
);
/** MS-DOS header whose e_lfanew (offset 0x3C) points to the PE signature at 0x80. */
const EXE = (() => {
  const header = Buffer.alloc(0x100);
  header.write('MZ', 0, 'latin1');
  header.writeUInt16LE(0x90, 2);
  header.writeUInt32LE(0x80, 0x3c);
  header.write('PE\0\0', 0x80, 'latin1');
  return header;
})();
const ELF = bytes([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);
const CSV = bytes('date,account,amount\r\n2024-03-31,4000,1250.00\r\n');
const TEXT = bytes('2024-04-01T09:00:00Z INFO user alice@example.com signed in\n');
const JSON_TEXT = bytes('{"controls": [{"id": "AC-2", "result": "pass"}]}\n');
const XML = bytes('<?xml version="1.0" encoding="UTF-8"?>\n<workpaper id="WP-7"/>\n');
const EMAIL = bytes(
  'Received: from mail.example.com\r\nFrom: cfo@example.com\r\nSubject: Q3 close\r\n\r\nSee attached.\r\n',
);
const UTF8_BOM = [0xef, 0xbb, 0xbf];

describe('matchesMagic', () => {
  const accepted: [string, Buffer][] = [
    ['application/pdf', PDF],
    ['image/png', PNG],
    ['image/jpeg', JPEG],
    ['image/gif', GIF],
    ['image/gif', bytes('GIF87a', [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00])],
    ['image/tiff', TIFF_LITTLE],
    ['image/tiff', TIFF_BIG],
    ['image/tiff', BIGTIFF],
    [XLSX, ZIP],
    [DOCX, ZIP],
    [PPTX, ZIP],
    ['application/zip', ZIP],
    ['application/msword', OLE],
    ['application/vnd.ms-excel', OLE],
    ['application/vnd.ms-outlook', OLE],
  ];

  it('accepts each binary type', () => {
    for (const [contentType, start] of accepted) {
      const result = matchesMagic(contentType, prefixOf(start), false);
      expect(reasonOf(result), contentType).toBe('');
      expect(result.ok, contentType).toBe(true);
    }
  });

  it('accepts each text type', () => {
    const texts: [string, Buffer][] = [
      ['text/csv', CSV],
      ['text/plain', TEXT],
      ['application/json', JSON_TEXT],
      ['application/xml', XML],
      ['text/xml', XML],
      ['message/rfc822', EMAIL],
    ];
    for (const [contentType, text] of texts) {
      expect(reasonOf(matchesMagic(contentType, text, true)), contentType).toBe('');
      expect(reasonOf(matchesMagic(contentType, textPrefix(text), false)), contentType).toBe('');
    }
  });

  it('accepts a content type with parameters', () => {
    expect(matchesMagic('Text/CSV; charset=utf-8', CSV, true).ok).toBe(true);
  });

  it('rejects other signatures', () => {
    const cases: [string, Buffer, string][] = [
      ['application/pdf', PNG, 'The file starts like a PNG image, not a PDF document.'],
      ['text/plain', EXE, 'The file starts like a Windows executable, not a plain text file.'],
      ['text/csv', ZIP, 'The file starts like a ZIP archive, not a CSV file.'],
      ['application/json', ELF, 'The file starts like an ELF executable, not a JSON document.'],
      [DOCX, PDF, 'The file starts like a PDF document, not a Word document.'],
      [
        XLSX,
        OLE,
        'The file starts like an OLE compound file (a legacy Office document), not an Excel workbook.',
      ],
      [
        'application/msword',
        ZIP,
        'The file starts like a ZIP archive, not a Word 97-2003 document.',
      ],
      ['image/png', JPEG, 'The file starts like a JPEG image, not a PNG image.'],
      ['image/jpeg', GIF, 'The file starts like a GIF image, not a JPEG image.'],
      ['image/gif', TIFF_LITTLE, 'The file starts like a TIFF image, not a GIF image.'],
      ['image/tiff', EXE, 'The file starts like a Windows executable, not a TIFF image.'],
      ['application/zip', EXE, 'The file starts like a Windows executable, not a ZIP archive.'],
      ['application/xml', PDF, 'The file starts like a PDF document, not an XML document.'],
      [
        'message/rfc822',
        OLE,
        'The file starts like an OLE compound file (a legacy Office document), not an email message.',
      ],
      ['text/plain', PNG, 'The file starts like a PNG image, not a plain text file.'],
    ];
    for (const [contentType, start, reason] of cases) {
      expect(reasonOf(matchesMagic(contentType, prefixOf(start), false)), contentType).toBe(reason);
    }
  });

  it('names the missing signature', () => {
    const result = matchesMagic('image/png', textPrefix(CSV), false);
    expect(reasonOf(result)).toBe(
      'The file does not start with the signature of a PNG image (89 50 4E 47 0D 0A 1A 0A).',
    );
  });

  it('rejects a text file as PDF', () => {
    expect(reasonOf(matchesMagic('application/pdf', textPrefix(CSV), false))).toBe(
      'The file has no %PDF- header in its first 1024 bytes, so it is not a PDF document.',
    );
  });

  it('accepts a PDF header after junk', () => {
    const junk = Buffer.alloc(1000, 0x20);
    expect(matchesMagic('application/pdf', prefixOf(Buffer.concat([junk, PDF])), false).ok).toBe(
      true,
    );
    expect(matchesMagic('application/pdf', bytes(UTF8_BOM, PDF), true).ok).toBe(true);
  });

  it('rejects a PDF header after 1024 bytes', () => {
    const junk = Buffer.alloc(1024, 0x20);
    expect(matchesMagic('application/pdf', prefixOf(Buffer.concat([junk, PDF])), false).ok).toBe(
      false,
    );
  });

  it('accepts a PDF header at offset 1023', () => {
    const junk = Buffer.alloc(1023, 0x20);
    expect(matchesMagic('application/pdf', prefixOf(Buffer.concat([junk, PDF])), false).ok).toBe(
      true,
    );
  });

  it('rejects a PDF behind another signature', () => {
    const polyglot = prefixOf(Buffer.concat([ZIP, PDF]));
    expect(reasonOf(matchesMagic('application/pdf', polyglot, false))).toBe(
      `The file starts like a ZIP archive, not a PDF document, although it contains a PDF header at offset ${ZIP.length}.`,
    );
  });

  it('rejects an empty ZIP archive', () => {
    for (const contentType of ['application/zip', DOCX]) {
      expect(reasonOf(matchesMagic(contentType, EMPTY_ZIP, true)), contentType).toMatch(
        /^The file starts like an empty ZIP archive, not a/,
      );
    }
  });

  it('rejects a split ZIP archive', () => {
    const split = prefixOf(bytes([0x50, 0x4b, 0x07, 0x08], ZIP));
    expect(reasonOf(matchesMagic('application/zip', split, false))).toBe(
      'The file starts like a split ZIP archive, not a ZIP archive.',
    );
  });

  it('rejects a whole file shorter than its header', () => {
    const cases: [string, Buffer, number][] = [
      ['application/zip', bytes([0x50, 0x4b, 0x03, 0x04]), 30],
      ['application/vnd.ms-outlook', OLE, 512],
      ['image/png', PNG.subarray(0, 8), 33],
      ['image/gif', bytes('GIF89a'), 13],
    ];
    for (const [contentType, file, headerBytes] of cases) {
      expect(reasonOf(matchesMagic(contentType, file, true)), contentType).toMatch(
        new RegExp(
          `^The file is ${file.length} bytes long, too short .* at least ${headerBytes} bytes\\.$`,
        ),
      );
    }
  });

  it('accepts small whole files', () => {
    expect(matchesMagic('image/png', PNG, true).ok).toBe(true);
    expect(matchesMagic('image/jpeg', JPEG, true).ok).toBe(true);
    expect(matchesMagic('application/pdf', PDF, true).ok).toBe(true);
    expect(matchesMagic('application/msword', prefixOf(OLE).subarray(0, 512), true).ok).toBe(true);
  });

  it('accepts only text as empty', () => {
    const empty = Buffer.alloc(0);
    expect(matchesMagic('text/plain', empty, true).ok).toBe(true);
    expect(matchesMagic('text/csv', empty, true).ok).toBe(true);
    const rejected = [
      'application/pdf',
      'image/png',
      'application/zip',
      DOCX,
      'application/msword',
      'application/json',
      'application/xml',
      'message/rfc822',
    ];
    for (const contentType of rejected) {
      expect(matchesMagic(contentType, empty, true).ok, contentType).toBe(false);
    }
  });

  it('rejects text with a NUL byte', () => {
    const result = matchesMagic('text/plain', bytes('total: 12', [0x00], ' items\n'), true);
    expect(reasonOf(result)).toBe(
      'The file contains a NUL byte at offset 9, so it is binary data or UTF-16 text. A plain text file must be UTF-8 text without NUL bytes.',
    );
  });

  it('rejects a NUL byte near the prefix end', () => {
    const prefix = textPrefix(CSV);
    prefix[MAGIC_PREFIX_BYTES - 1] = 0x00;
    expect(matchesMagic('text/csv', prefix, false).ok).toBe(false);
  });

  it('rejects invalid UTF-8', () => {
    const invalid: Record<string, number[]> = {
      'lone continuation byte': [0x80],
      'Latin-1 e acute': [0xe9, 0x74, 0xe9],
      'overlong slash': [0xc0, 0xaf],
      'overlong three bytes': [0xe0, 0x80, 0xaf],
      'encoded surrogate': [0xed, 0xa0, 0x80],
      'above U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
      'byte F5': [0xf5, 0x80, 0x80, 0x80],
      'byte FF': [0xff],
      'lead byte before ASCII': [0xc3, 0x41],
    };
    for (const [what, sequence] of Object.entries(invalid)) {
      const file = bytes('amount,note\n1,', sequence, '\n');
      expect(matchesMagic('text/csv', file, true).ok, what).toBe(false);
      expect(matchesMagic('text/csv', textPrefix(file), false).ok, what).toBe(false);
    }
  });

  it('reports the invalid UTF-8 offset', () => {
    const result = matchesMagic('text/csv', bytes('abc', [0xe9], 'def'), true);
    expect(reasonOf(result)).toBe(
      'The file contains invalid UTF-8 at offset 3. A CSV file must be UTF-8 text, so save it as UTF-8 and upload it again.',
    );
  });

  it('reports where the bad sequence starts', () => {
    const offsets: [number[], number][] = [
      [[0x80], 2],
      [[0xe2, 0x82, 0x41], 2],
      [[0xf0, 0x9f, 0x93, 0x41], 2],
      [[0xe2, 0x82, 0xac, 0xff], 5],
      [[0xed, 0xa0, 0x80], 2],
    ];
    for (const [sequence, offset] of offsets) {
      const result = matchesMagic('text/plain', bytes('ab', sequence, 'cd'), true);
      expect(reasonOf(result), Buffer.from(sequence).toString('hex')).toContain(
        `invalid UTF-8 at offset ${offset}.`,
      );
    }
  });

  it('accepts valid multi-byte text', () => {
    const text = bytes('Prüfbericht, 日本, 📄, Ελλάδα\n');
    expect(matchesMagic('text/plain', text, true).ok).toBe(true);
  });

  it('accepts a cut sequence only when incomplete', () => {
    const euro = Buffer.from('€', 'utf8'); // E2 82 AC
    const emoji = Buffer.from('📄', 'utf8'); // F0 9F 93 84
    for (const [character, cut] of [
      [euro, 1],
      [euro, 2],
      [emoji, 1],
      [emoji, 3],
    ] as const) {
      const prefix = Buffer.alloc(MAGIC_PREFIX_BYTES, 0x61);
      character.copy(prefix, MAGIC_PREFIX_BYTES - cut, 0, cut);
      const label = `${character.toString('hex')} cut to ${cut}`;
      expect(matchesMagic('text/plain', prefix, false).ok, label).toBe(true);

      const whole = Buffer.concat([bytes('abc'), character.subarray(0, cut)]);
      expect(reasonOf(matchesMagic('text/plain', whole, true)), label).toBe(
        'The file ends in the middle of a UTF-8 character. A plain text file must be UTF-8 text, so save it as UTF-8 and upload it again.',
      );
    }
  });

  it('rejects a cut sequence that is already invalid', () => {
    const prefix = Buffer.alloc(MAGIC_PREFIX_BYTES, 0x61);
    prefix[MAGIC_PREFIX_BYTES - 2] = 0xe0;
    prefix[MAGIC_PREFIX_BYTES - 1] = 0x80; // E0 must be followed by A0..BF
    expect(matchesMagic('text/plain', prefix, false).ok).toBe(false);
  });

  it('ignores bytes past the prefix', () => {
    const longer = Buffer.alloc(MAGIC_PREFIX_BYTES + 10, 0x61);
    longer[MAGIC_PREFIX_BYTES + 5] = 0x00;
    longer[MAGIC_PREFIX_BYTES - 1] = 0xe2; // start of a sequence cut at the prefix end
    expect(matchesMagic('text/plain', longer, true).ok).toBe(true);
  });

  it('accepts a UTF-8 byte order mark', () => {
    for (const [contentType, text] of [
      ['text/csv', CSV],
      ['application/json', JSON_TEXT],
      ['application/xml', XML],
      ['message/rfc822', EMAIL],
    ] as const) {
      expect(reasonOf(matchesMagic(contentType, bytes(UTF8_BOM, text), true)), contentType).toBe(
        '',
      );
    }
  });

  it('rejects UTF-16 and UTF-32 text', () => {
    const wide: [string, Buffer, string][] = [
      ['UTF-16LE', bytes([0xff, 0xfe], Buffer.from('a,b\r\n', 'utf16le')), 'UTF-16'],
      ['UTF-16BE', bytes([0xfe, 0xff, 0x00, 0x61, 0x00, 0x2c, 0x00, 0x62]), 'UTF-16'],
      ['UTF-32LE', bytes([0xff, 0xfe, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00]), 'UTF-32'],
      ['UTF-32BE', bytes([0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x61]), 'UTF-32'],
    ];
    for (const [what, file, encoding] of wide) {
      expect(reasonOf(matchesMagic('text/csv', file, true)), what).toBe(
        `The file starts with a ${encoding} byte order mark. A CSV file must be UTF-8 text, so save it as UTF-8 and upload it again.`,
      );
    }
  });

  it('rejects UTF-16 without byte order mark', () => {
    const file = Buffer.from('date,amount\r\n', 'utf16le');
    expect(reasonOf(matchesMagic('text/csv', file, true))).toMatch(/NUL byte at offset 1/);
  });

  it('accepts text that starts with MZ', () => {
    expect(matchesMagic('text/csv', bytes('MZ_CODE,amount\nA1,5\n'), true).ok).toBe(true);
  });

  it('accepts JSON after whitespace', () => {
    const starts = ['  {"a":1}', '\r\n\t[1]', '"text"', '-1', '0', 'true', 'false', 'null'];
    for (const start of starts) {
      expect(matchesMagic('application/json', bytes(UTF8_BOM, start), true).ok, start).toBe(true);
    }
  });

  it('rejects text that is not JSON', () => {
    for (const start of ['hello', '<xml/>', 'NaN', '\u00a0{}', '\ufeff{}']) {
      expect(matchesMagic('application/json', bytes(UTF8_BOM, start), true).ok, start).toBe(false);
    }
  });

  it('rejects whitespace-only JSON', () => {
    expect(reasonOf(matchesMagic('application/json', bytes(' \n\t '), true))).toBe(
      'The file contains no JSON value, so it is not a JSON document.',
    );
  });

  it('accepts XML after whitespace', () => {
    for (const start of [
      '\n  <root/>',
      '<!DOCTYPE r><r/>',
      '<!-- note --><r/>',
      '\t<?xml version="1.0"?><r/>',
    ]) {
      expect(matchesMagic('text/xml', bytes(UTF8_BOM, start), true).ok, start).toBe(true);
    }
  });

  it('rejects text that is not XML', () => {
    expect(reasonOf(matchesMagic('application/xml', bytes('a,b\n1,2\n'), true))).toBe(
      'The file does not start with <, so it is not an XML document.',
    );
    expect(matchesMagic('application/xml', bytes('\n\n'), true).ok).toBe(false);
  });

  it('accepts email header forms', () => {
    for (const start of [
      'Return-Path: <a@example.com>\r\n',
      'From: a@example.com\n',
      'Subject : x\n',
      'From - Mon Apr  1 09:00:00 2024\n',
    ]) {
      expect(matchesMagic('message/rfc822', bytes(start), true).ok, start).toBe(true);
    }
  });

  it('rejects text that is not email', () => {
    for (const start of ['Dear auditor,\n', ': no name\n', '\r\nFrom: a@example.com\n']) {
      expect(matchesMagic('message/rfc822', bytes(start), true).ok, start).toBe(false);
    }
  });

  it('requires the full prefix', () => {
    expect(() => matchesMagic('application/pdf', PDF, false)).toThrow(RangeError);
    expect(() => matchesMagic('application/pdf', PDF, false)).toThrow(
      `needs the first ${MAGIC_PREFIX_BYTES} bytes`,
    );
  });

  it('rejects an unknown content type', () => {
    expect(() => matchesMagic('application/x-msdownload', EXE, true)).toThrow(TypeError);
    expect(() => matchesMagic('not a type', EXE, true)).toThrow(TypeError);
  });

  it('covers every listed type', () => {
    const covered = new Set(accepted.map(([contentType]) => contentType));
    for (const contentType of [
      'text/csv',
      'text/plain',
      'application/json',
      'application/xml',
      'text/xml',
      'message/rfc822',
    ]) {
      covered.add(contentType);
    }
    for (const type of EVIDENCE_FILE_TYPES) {
      expect(covered.has(type.contentType), type.contentType).toBe(true);
    }
  });
});
