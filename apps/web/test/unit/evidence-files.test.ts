import { describe, expect, it } from 'vitest';
import type { EvidenceFilePolicy } from '../../src/evidence/evidence-api.ts';
import {
  acceptedExtensions,
  contentTypeOf,
  fileProblem,
} from '../../src/evidence/evidence-files.ts';

const MIB = 1024 * 1024;
const POLICY: EvidenceFilePolicy = {
  maxBytes: 5 * MIB,
  fileTypes: [
    { contentType: 'application/pdf', description: 'PDF document', extensions: ['pdf'] },
    { contentType: 'image/jpeg', description: 'JPEG image', extensions: ['jpg', 'jpeg'] },
  ],
};

function fileNamed(name: string, type = ''): File {
  return new File(['x'], name, { type });
}

describe('fileProblem', () => {
  it('accepts an allowed file within the limit', () => {
    expect(fileProblem({ name: 'Invoice.PDF', size: 5 * MIB }, POLICY)).toBeNull();
  });

  it('rejects a file above the limit', () => {
    const problem = fileProblem({ name: 'scan.pdf', size: 5 * MIB + 1 }, POLICY);

    expect(problem).toContain('larger than the 5.0 MiB limit');
  });

  it('names the allowed extensions', () => {
    const problem = fileProblem({ name: 'payroll.exe', size: 10 }, POLICY);

    expect(problem).toBe(
      'A .exe file cannot be evidence here. Upload one of these types: .pdf, .jpg, .jpeg.',
    );
  });

  it('rejects a name without an extension', () => {
    const problem = fileProblem({ name: 'README', size: 10 }, POLICY);

    expect(problem).toMatch(/^A file without an extension cannot be evidence here/);
  });
});

describe('contentTypeOf', () => {
  it('takes the type of the extension', () => {
    expect(contentTypeOf(fileNamed('photo.JPEG', 'image/png'), POLICY)).toBe('image/jpeg');
  });

  it('falls back to the browser type', () => {
    expect(contentTypeOf(fileNamed('page.html', 'text/html'), POLICY)).toBe('text/html');
  });

  it('falls back to octet-stream', () => {
    expect(contentTypeOf(fileNamed('blob.bin'), POLICY)).toBe('application/octet-stream');
  });
});

describe('acceptedExtensions', () => {
  it('lists every extension with its dot', () => {
    expect(acceptedExtensions(POLICY)).toBe('.pdf,.jpg,.jpeg');
  });
});
