import { describe, expect, it } from 'vitest';
import {
  checkDeclaration,
  DECLARATION_PROBLEM_CODES,
  type DeclarationProblemCode,
} from '../../../src/modules/evidence/evidence-declaration.ts';
import { evidenceContentPolicy } from '../../../src/modules/evidence/evidence-file-types.ts';

const MIB = 1024 * 1024;
const policy = evidenceContentPolicy({ maxBytes: 25 * MIB });

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

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
