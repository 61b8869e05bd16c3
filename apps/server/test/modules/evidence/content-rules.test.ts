import { validateHeaderValue } from 'node:http';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDeclaration,
  contentDisposition,
  DECLARATION_PROBLEM_CODES,
  type DeclarationProblemCode,
  EVIDENCE_FILE_TYPES,
  evidenceContentPolicy,
  MAGIC_PREFIX_BYTES,
  type MagicResult,
  matchesMagic,
} from '../../../src/modules/evidence/content-rules.ts';

const MIB = 1024 * 1024;
const policy = evidenceContentPolicy({ maxBytes: 25 * MIB });

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

describe('EVIDENCE_FILE_TYPES', () => {
  it('lists lowercase media types once each', () => {
    const contentTypes = EVIDENCE_FILE_TYPES.map((type) => type.contentType);
    expect(new Set(contentTypes).size).toBe(contentTypes.length);
    for (const contentType of contentTypes) {
      expect(contentType).toMatch(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/);
    }
  });

  it('lists lowercase extensions without dots', () => {
    for (const type of EVIDENCE_FILE_TYPES) {
      expect(type.extensions.length, type.contentType).toBeGreaterThan(0);
      for (const extension of type.extensions) {
        expect(extension, type.contentType).toMatch(/^[a-z0-9]+$/);
      }
    }
  });

  it('covers the required types', () => {
    const byType = new Map(EVIDENCE_FILE_TYPES.map((type) => [type.contentType, type.extensions]));
    const required: [string, string[]][] = [
      ['application/pdf', ['pdf']],
      ['image/png', ['png']],
      ['image/jpeg', ['jpg', 'jpeg']],
      ['image/gif', ['gif']],
      ['image/tiff', ['tif', 'tiff']],
      [XLSX, ['xlsx']],
      [DOCX, ['docx']],
      [PPTX, ['pptx']],
      ['application/msword', ['doc']],
      ['application/vnd.ms-excel', ['xls']],
      ['application/vnd.ms-outlook', ['msg']],
      ['application/zip', ['zip']],
      ['text/csv', ['csv']],
      ['text/plain', ['txt', 'log']],
      ['application/json', ['json']],
      ['application/xml', ['xml']],
      ['text/xml', ['xml']],
      ['message/rfc822', ['eml']],
    ];
    for (const [contentType, extensions] of required) {
      expect(byType.get(contentType), contentType).toEqual(extensions);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(EVIDENCE_FILE_TYPES)).toBe(true);
    expect(Object.isFrozen(EVIDENCE_FILE_TYPES[0])).toBe(true);
    expect(Object.isFrozen(EVIDENCE_FILE_TYPES[0]?.extensions)).toBe(true);
  });
});

describe('evidenceContentPolicy', () => {
  it('allows every known type by default', () => {
    expect([...policy.contentTypes].sort()).toEqual(
      EVIDENCE_FILE_TYPES.map((type) => type.contentType).sort(),
    );
    expect(policy.extensions.has('pdf')).toBe(true);
    expect(policy.extensions.has('log')).toBe(true);
    expect(policy.maxBytes).toBe(25 * MIB);
  });

  it('defaults extensions to those of the allowed types', () => {
    const restricted = evidenceContentPolicy({
      maxBytes: 1000,
      contentTypes: ['application/pdf', 'image/jpeg'],
    });
    expect([...restricted.extensions].sort()).toEqual(['jpeg', 'jpg', 'pdf']);
  });

  it('defaults types to those of the allowed extensions', () => {
    const restricted = evidenceContentPolicy({ maxBytes: 1000, extensions: ['xml', 'csv'] });
    expect([...restricted.contentTypes].sort()).toEqual([
      'application/xml',
      'text/csv',
      'text/xml',
    ]);
  });

  it('normalizes case and whitespace', () => {
    const normalized = evidenceContentPolicy({
      maxBytes: 1000,
      contentTypes: [' Application/PDF '],
      extensions: ['PDF'],
    });
    expect([...normalized.contentTypes]).toEqual(['application/pdf']);
    expect([...normalized.extensions]).toEqual(['pdf']);
  });

  it('rejects an unknown content type', () => {
    const build = () =>
      evidenceContentPolicy({ maxBytes: 1000, contentTypes: ['application/x-msdownload'] });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(/"application\/x-msdownload" is unknown/);
  });

  it('rejects a content type with parameters', () => {
    const build = () =>
      evidenceContentPolicy({ maxBytes: 1000, contentTypes: ['text/csv; charset=utf-8'] });
    expect(build).toThrow(/"text\/csv; charset=utf-8" is unknown/);
  });

  it('rejects an unknown extension', () => {
    const build = () => evidenceContentPolicy({ maxBytes: 1000, extensions: ['exe'] });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(/"exe" is unknown/);
  });

  it('rejects an extension with a dot', () => {
    expect(() => evidenceContentPolicy({ maxBytes: 1000, extensions: ['.pdf'] })).toThrow(
      /"\.pdf" is unknown/,
    );
  });

  it('rejects invalid maxBytes', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => evidenceContentPolicy({ maxBytes }), String(maxBytes)).toThrow(TypeError);
    }
  });

  it('names the invalid maxBytes', () => {
    expect(() => evidenceContentPolicy({ maxBytes: -5 })).toThrow(/maxBytes -5 is invalid/);
  });

  it('rejects empty lists', () => {
    expect(() => evidenceContentPolicy({ maxBytes: 1000, contentTypes: [] })).toThrow(
      /contentTypes list is empty/,
    );
    expect(() => evidenceContentPolicy({ maxBytes: 1000, extensions: [] })).toThrow(
      /extensions list is empty/,
    );
  });

  it('rejects an extension without its type', () => {
    const build = () =>
      evidenceContentPolicy({
        maxBytes: 1000,
        contentTypes: ['application/pdf'],
        extensions: ['pdf', 'png'],
      });
    expect(build).toThrow(/extension png is allowed, but its content type image\/png is not/);
  });

  it('rejects a type without its extensions', () => {
    const build = () =>
      evidenceContentPolicy({
        maxBytes: 1000,
        contentTypes: ['application/pdf', 'image/png'],
        extensions: ['pdf'],
      });
    expect(build).toThrow(/content type image\/png is allowed, but none of its extensions/);
  });
});

describe('checkDeclaration', () => {
  function check(
    fileName: string,
    contentType: string,
    size = 1000,
  ): ReturnType<typeof checkDeclaration> {
    return checkDeclaration(policy, { fileName, size, contentType });
  }

  function codeOf(fileName: string, contentType: string, size = 1000) {
    return check(fileName, contentType, size)?.code ?? null;
  }

  it('accepts allowed declarations', () => {
    const allowed: [string, string][] = [
      ['Q3 report.pdf', 'application/pdf'],
      ['scan.jpg', 'image/jpeg'],
      ['scan.jpeg', 'image/jpeg'],
      ['ledger.xlsx', XLSX],
      ['memo.docx', DOCX],
      ['walkthrough.pptx', PPTX],
      ['legacy.doc', 'application/msword'],
      ['legacy.xls', 'application/vnd.ms-excel'],
      ['approval.msg', 'application/vnd.ms-outlook'],
      ['bundle.zip', 'application/zip'],
      ['server.log', 'text/plain'],
      ['feed.xml', 'text/xml'],
      ['feed.xml', 'application/xml'],
      ['approval.eml', 'message/rfc822'],
      ['Prüfbericht 日本 📄.pdf', 'application/pdf'],
      ['.hidden.pdf', 'application/pdf'],
    ];
    for (const [fileName, contentType] of allowed) {
      expect(check(fileName, contentType), fileName).toBeNull();
    }
  });

  it('accepts an upper-case extension', () => {
    expect(check('REPORT.PDF', 'application/pdf')).toBeNull();
    expect(check('Scan.JpEg', 'image/jpeg')).toBeNull();
  });

  it('compares content types without case', () => {
    expect(check('report.pdf', 'Application/PDF')).toBeNull();
    expect(check('ledger.csv', 'TEXT/CSV')).toBeNull();
  });

  it('accepts charset=utf-8 on text types', () => {
    const declared = [
      'text/csv; charset=utf-8',
      'text/csv;charset=UTF-8',
      'text/csv; Charset="utf-8"',
      'text/csv ; charset=utf-8 ',
      'text/csv;',
    ];
    for (const contentType of declared) {
      expect(check('ledger.csv', contentType), contentType).toBeNull();
    }
    expect(check('data.json', 'application/json; charset=utf-8')).toBeNull();
  });

  it('rejects other content type parameters', () => {
    const declared: [string, string][] = [
      ['ledger.csv', 'text/csv; charset=iso-8859-1'],
      ['ledger.csv', 'text/csv; charset=utf-16'],
      ['ledger.csv', 'text/csv; header=present'],
      ['ledger.csv', 'text/csv; charset=utf-8; charset=utf-8'],
      ['report.pdf', 'application/pdf; charset=utf-8'],
      ['report.pdf', 'application/pdf; name=x'],
    ];
    for (const [fileName, contentType] of declared) {
      expect(codeOf(fileName, contentType), contentType).toBe('CONTENT_TYPE_NOT_ALLOWED');
    }
  });

  it('says how to declare text types', () => {
    expect(check('ledger.csv', 'text/csv; charset=latin1')?.message).toContain(
      'Declare it as text/csv or text/csv; charset=utf-8.',
    );
  });

  it('rejects content types not allowed', () => {
    const declared = [
      'application/x-msdownload',
      'application/octet-stream',
      'text/html',
      'image/jpg',
      'application/x-zip-compressed',
    ];
    for (const contentType of declared) {
      expect(codeOf('file.pdf', contentType), contentType).toBe('CONTENT_TYPE_NOT_ALLOWED');
    }
  });

  it('rejects malformed content types', () => {
    for (const contentType of [
      '',
      '   ',
      'pdf',
      'application/',
      '/pdf',
      'text/csv charset=utf-8',
    ]) {
      expect(codeOf('ledger.csv', contentType), contentType).toBe('CONTENT_TYPE_NOT_ALLOWED');
    }
  });

  it('names the content type and the allowed list', () => {
    const message = check('tool.exe', 'application/x-msdownload')?.message ?? '';
    expect(message).toContain('"application/x-msdownload" is not allowed');
    expect(message).toContain('Allowed content types: application/json, application/msword');
  });

  it('escapes control characters in content types', () => {
    const message = check('ledger.csv', 'text/csv\r\nX-Injected: 1')?.message ?? '';
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).toContain('text/csv\\r\\nX-Injected: 1');
  });

  it('respects a restricted policy', () => {
    const pdfOnly = evidenceContentPolicy({ maxBytes: 1000, contentTypes: ['application/pdf'] });
    const declaration = { fileName: 'scan.png', size: 10, contentType: 'image/png' };
    expect(checkDeclaration(pdfOnly, declaration)?.code).toBe('CONTENT_TYPE_NOT_ALLOWED');
  });

  it('rejects a double extension', () => {
    const problem = check('invoice.pdf.exe', 'application/pdf');
    expect(problem?.code).toBe('EXTENSION_NOT_ALLOWED');
    expect(problem?.message).toContain('The extension .exe of "invoice.pdf.exe" is not allowed');
    expect(problem?.message).toContain('Allowed extensions: .csv, .doc, .docx');
  });

  it('rejects a name without extension', () => {
    const problem = check('README', 'text/plain');
    expect(problem?.code).toBe('EXTENSION_NOT_ALLOWED');
    expect(problem?.message).toContain('"README" has no extension');
  });

  it('rejects a mismatched extension', () => {
    const problem = check('report.pdf', 'image/png');
    expect(problem?.code).toBe('EXTENSION_MISMATCH');
    expect(problem?.message).toContain('declared content type image/png, which takes .png');
    expect(problem?.message).toContain('For a .pdf file, declare application/pdf.');
  });

  it('rejects other mismatches', () => {
    const declared: [string, string][] = [
      ['ledger.csv', 'application/vnd.ms-excel'],
      ['memo.doc', DOCX],
      ['memo.docx', 'application/msword'],
      ['bundle.zip', XLSX],
      ['feed.xml', 'text/plain'],
      ['notes.txt', 'text/csv'],
    ];
    for (const [fileName, contentType] of declared) {
      expect(codeOf(fileName, contentType), fileName).toBe('EXTENSION_MISMATCH');
    }
  });

  it('lists every type for a shared extension', () => {
    expect(check('feed.xml', 'text/plain')?.message).toContain(
      'declare application/xml or text/xml',
    );
  });

  it('rejects invalid file names', () => {
    const invalid: Record<string, string> = {
      empty: '',
      'too long': `${'a'.repeat(252)}.pdf`,
      'line feed': 'report\n.pdf',
      'carriage return': 'report\r.pdf',
      NUL: 'report\0.pdf',
      DEL: 'report\u007f.pdf',
      'C1 control': 'report\u0085.pdf',
      'right-to-left override': 'invoice\u202efdp.exe.pdf',
      'zero-width space': 'report\u200b.pdf',
      'byte order mark': '\ufeffreport.pdf',
      'line separator': 'report\u2028.pdf',
      'unpaired surrogate': 'report\ud800.pdf',
      slash: 'folder/report.pdf',
      backslash: 'folder\\report.pdf',
      dot: '.',
      'two dots': '..',
      'leading space': ' report.pdf',
      'leading no-break space': '\u00a0report.pdf',
      'trailing dot': 'report.pdf.',
      'trailing space': 'report.pdf ',
      'nothing before extension': '.pdf',
    };
    for (const [what, fileName] of Object.entries(invalid)) {
      expect(codeOf(fileName, 'application/pdf'), what).toBe('FILE_NAME_INVALID');
    }
  });

  it('accepts a name of 255 characters', () => {
    expect(check(`${'a'.repeat(251)}.pdf`, 'application/pdf')).toBeNull();
    expect(check(`${'😀'.repeat(251)}.pdf`, 'application/pdf')).toBeNull();
  });

  it('names the hidden character', () => {
    const message = check('invoice\u202efdp.exe', 'application/pdf')?.message ?? '';
    expect(message).toContain('U+202E');
    expect(message).not.toContain('\u202e');
  });

  it('rejects invalid sizes', () => {
    for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(codeOf('report.pdf', 'application/pdf', size), String(size)).toBe('FILE_SIZE_INVALID');
    }
  });

  it('rejects a file over the limit', () => {
    const problem = check('report.pdf', 'application/pdf', 25 * MIB + 1);
    expect(problem?.code).toBe('FILE_TOO_LARGE');
    expect(problem?.message).toContain('25 MiB (26214401 bytes)');
    expect(problem?.message).toContain('the 25 MiB (26214400 bytes) limit');
  });

  it('accepts a file at the limit', () => {
    expect(check('report.pdf', 'application/pdf', 25 * MIB)).toBeNull();
  });

  it('accepts empty text files', () => {
    expect(check('empty.txt', 'text/plain', 0)).toBeNull();
    expect(check('empty.csv', 'text/csv', 0)).toBeNull();
  });

  it('rejects other empty files', () => {
    const declared: [string, string][] = [
      ['scan.png', 'image/png'],
      ['report.pdf', 'application/pdf'],
      ['data.json', 'application/json'],
      ['feed.xml', 'application/xml'],
      ['mail.eml', 'message/rfc822'],
      ['bundle.zip', 'application/zip'],
    ];
    for (const [fileName, contentType] of declared) {
      expect(codeOf(fileName, contentType, 0), fileName).toBe('FILE_EMPTY');
    }
  });

  it('returns only listed codes', () => {
    const problems = [
      check('', 'application/pdf'),
      check('a.pdf', 'application/pdf', -1),
      check('a.pdf', 'application/pdf', 26 * MIB),
      check('a.png', 'image/png', 0),
      check('a.pdf', 'text/html'),
      check('a.exe', 'application/pdf'),
      check('a.pdf', 'image/png'),
    ];
    const codes = problems.map((problem) => problem?.code);
    expect(codes).toEqual<(DeclarationProblemCode | undefined)[]>([
      'FILE_NAME_INVALID',
      'FILE_SIZE_INVALID',
      'FILE_TOO_LARGE',
      'FILE_EMPTY',
      'CONTENT_TYPE_NOT_ALLOWED',
      'EXTENSION_NOT_ALLOWED',
      'EXTENSION_MISMATCH',
    ]);
    expect([...codes].sort()).toEqual([...DECLARATION_PROBLEM_CODES].sort());
  });

  it('writes messages as sentences', () => {
    for (const problem of [
      check('', 'application/pdf'),
      check('a.pdf', 'application/pdf', 26 * MIB),
      check('a.pdf', 'text/html'),
      check('a.exe', 'application/pdf'),
      check('a.pdf', 'image/png'),
    ]) {
      expect(problem?.message).toMatch(/^[A-Z].*\.$/s);
    }
  });
});

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

describe('contentDisposition', () => {
  const HEADER =
    /^(attachment|inline); filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]*)$/;

  function partsOf(header: string) {
    const match = HEADER.exec(header);
    expect(match, header).not.toBeNull();
    return { fallback: match?.[2] ?? '', encoded: match?.[3] ?? '' };
  }

  it('formats a plain name', () => {
    expect(contentDisposition('attachment', 'Q3 report.pdf')).toBe(
      `attachment; filename="Q3 report.pdf"; filename*=UTF-8''Q3%20report.pdf`,
    );
  });

  it('formats an inline name', () => {
    expect(contentDisposition('inline', 'scan.png')).toBe(
      `inline; filename="scan.png"; filename*=UTF-8''scan.png`,
    );
  });

  it('replaces quotes and backslashes', () => {
    const header = contentDisposition('attachment', 'say "hi" \\ bye.txt');
    expect(partsOf(header).fallback).toBe('say _hi_ _ bye.txt');
    expect(partsOf(header).encoded).toBe('say%20%22hi%22%20%5C%20bye.txt');
  });

  it('keeps semicolons inside quotes', () => {
    const header = contentDisposition('attachment', 'a; filename=evil.exe.txt');
    expect(header).toBe(
      `attachment; filename="a; filename=evil.exe.txt"; filename*=UTF-8''a%3B%20filename%3Devil.exe.txt`,
    );
  });

  it('neutralizes line breaks', () => {
    const header = contentDisposition('attachment', 'a\r\nSet-Cookie: x=1.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(partsOf(header).fallback).toBe('a__Set-Cookie: x=1.txt');
    expect(partsOf(header).encoded).toBe('a%0D%0ASet-Cookie%3A%20x%3D1.txt');
  });

  it('folds accents in the fallback', () => {
    const header = contentDisposition('attachment', 'résumé.pdf');
    expect(partsOf(header).fallback).toBe('resume.pdf');
    expect(partsOf(header).encoded).toBe('r%C3%A9sum%C3%A9.pdf');
  });

  it('folds decomposed accents', () => {
    expect(partsOf(contentDisposition('attachment', 're\u0301sume.pdf')).fallback).toBe(
      'resume.pdf',
    );
  });

  it('replaces other scripts', () => {
    const header = contentDisposition('attachment', '日本.pdf');
    expect(partsOf(header).fallback).toBe('__.pdf');
    expect(partsOf(header).encoded).toBe('%E6%97%A5%E6%9C%AC.pdf');
  });

  it('replaces an emoji once', () => {
    const header = contentDisposition('attachment', 'ok 📄.txt');
    expect(partsOf(header).fallback).toBe('ok _.txt');
    expect(partsOf(header).encoded).toBe('ok%20%F0%9F%93%84.txt');
  });

  it('encodes non attr-char ASCII', () => {
    expect(partsOf(contentDisposition('attachment', "it's (draft)*.txt")).encoded).toBe(
      'it%27s%20%28draft%29%2A.txt',
    );
  });

  it('hides percent escapes in the fallback', () => {
    const header = contentDisposition('attachment', '100% done %41.txt');
    expect(partsOf(header).fallback).toBe('100% done _41.txt');
    expect(partsOf(header).encoded).toBe('100%25%20done%20%2541.txt');
  });

  it('replaces unpaired surrogates', () => {
    const header = contentDisposition('attachment', 'a\ud800.txt');
    expect(partsOf(header).encoded).toBe('a%EF%BF%BD.txt');
  });

  it('rejects an empty name', () => {
    expect(() => contentDisposition('attachment', '')).toThrow(TypeError);
  });

  it('rejects an unknown kind', () => {
    const kind = 'form-data' as 'attachment';
    expect(() => contentDisposition(kind, 'a.txt')).toThrow(TypeError);
  });

  it('is header-safe for any name', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('attachment' as const, 'inline' as const),
        fc.string({ minLength: 1, unit: 'binary' }),
        (kind, fileName) => {
          const header = contentDisposition(kind, fileName);
          expect(header).toMatch(/^[\x20-\x7e]+$/);
          expect(() => validateHeaderValue('Content-Disposition', header)).not.toThrow();

          const { fallback, encoded } = partsOf(header);
          expect(fallback).not.toMatch(/%[0-9A-Fa-f]{2}/);
          expect(decodeURIComponent(encoded)).toBe(fileName.toWellFormed());
        },
      ),
      { numRuns: 500 },
    );
  });
});
