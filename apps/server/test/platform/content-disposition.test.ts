import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentDispositionHeader } from '../../src/platform/storage/content-disposition.ts';

describe('contentDispositionHeader', () => {
  const HEADER =
    /^(attachment|inline); filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]*)$/;

  function partsOf(header: string) {
    const match = HEADER.exec(header);
    expect(match, header).not.toBeNull();
    return { fallback: match?.[2] ?? '', encoded: match?.[3] ?? '' };
  }

  it('formats a plain name', () => {
    expect(contentDispositionHeader('attachment', 'Q3 report.pdf')).toBe(
      `attachment; filename="Q3 report.pdf"; filename*=UTF-8''Q3%20report.pdf`,
    );
  });

  it('formats an inline name', () => {
    expect(contentDispositionHeader('inline', 'scan.png')).toBe(
      `inline; filename="scan.png"; filename*=UTF-8''scan.png`,
    );
  });

  it('replaces quotes and backslashes', () => {
    const header = contentDispositionHeader('attachment', 'say "hi" \\ bye.txt');
    expect(partsOf(header).fallback).toBe('say _hi_ _ bye.txt');
    expect(partsOf(header).encoded).toBe('say%20%22hi%22%20%5C%20bye.txt');
  });

  it('keeps semicolons inside quotes', () => {
    const header = contentDispositionHeader('attachment', 'a; filename=evil.exe.txt');
    expect(header).toBe(
      `attachment; filename="a; filename=evil.exe.txt"; filename*=UTF-8''a%3B%20filename%3Devil.exe.txt`,
    );
  });

  it('neutralizes line breaks', () => {
    const header = contentDispositionHeader('attachment', 'a\r\nSet-Cookie: x=1.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(partsOf(header).fallback).toBe('a__Set-Cookie: x=1.txt');
    expect(partsOf(header).encoded).toBe('a%0D%0ASet-Cookie%3A%20x%3D1.txt');
  });

  it('replaces accents in the fallback', () => {
    const header = contentDispositionHeader('attachment', 'résumé.pdf');
    expect(partsOf(header).fallback).toBe('r_sum_.pdf');
    expect(partsOf(header).encoded).toBe('r%C3%A9sum%C3%A9.pdf');
  });

  it('replaces decomposed accents', () => {
    const header = contentDispositionHeader('attachment', 're\u0301sume.pdf');
    expect(partsOf(header).fallback).toBe('re_sume.pdf');
    expect(partsOf(header).encoded).toBe('re%CC%81sume.pdf');
  });

  it('replaces other scripts', () => {
    const header = contentDispositionHeader('attachment', '日本.pdf');
    expect(partsOf(header).fallback).toBe('__.pdf');
    expect(partsOf(header).encoded).toBe('%E6%97%A5%E6%9C%AC.pdf');
  });

  it('replaces an emoji once', () => {
    const header = contentDispositionHeader('attachment', 'ok 📄.txt');
    expect(partsOf(header).fallback).toBe('ok _.txt');
    expect(partsOf(header).encoded).toBe('ok%20%F0%9F%93%84.txt');
  });

  it('encodes non attr-char ASCII', () => {
    expect(partsOf(contentDispositionHeader('attachment', "it's (draft)*.txt")).encoded).toBe(
      'it%27s%20%28draft%29%2A.txt',
    );
  });

  it('hides percent escapes in the fallback', () => {
    const header = contentDispositionHeader('attachment', '100% done %41.txt');
    expect(partsOf(header).fallback).toBe('100_ done _41.txt');
    expect(partsOf(header).encoded).toBe('100%25%20done%20%2541.txt');
  });

  it('replaces unpaired surrogates', () => {
    const header = contentDispositionHeader('attachment', 'a\ud800.txt');
    expect(partsOf(header).encoded).toBe('a%EF%BF%BD.txt');
  });

  it('rejects an empty name', () => {
    expect(() => contentDispositionHeader('attachment', '')).toThrow(TypeError);
  });

  it('rejects an unknown kind', () => {
    const kind = 'form-data' as 'attachment';
    expect(() => contentDispositionHeader(kind, 'a.txt')).toThrow(TypeError);
  });

  it('is header-safe for any name', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('attachment' as const, 'inline' as const),
        fc.string({ minLength: 1, unit: 'binary' }),
        (kind, fileName) => {
          const header = contentDispositionHeader(kind, fileName);
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
