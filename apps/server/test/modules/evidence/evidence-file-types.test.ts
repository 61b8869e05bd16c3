import { describe, expect, it } from 'vitest';
import {
  allowedFileTypes,
  EVIDENCE_FILE_TYPES,
  evidenceContentPolicy,
} from '../../../src/modules/evidence/evidence-file-types.ts';

const MIB = 1024 * 1024;
const policy = evidenceContentPolicy({ maxBytes: 25 * MIB });

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

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

describe('allowedFileTypes', () => {
  it('lists every known type by default', () => {
    const types = allowedFileTypes(policy);

    expect(types.map((type) => type.contentType)).toEqual(
      EVIDENCE_FILE_TYPES.map((type) => type.contentType),
    );
  });

  it('keeps only the allowed extensions', () => {
    const narrow = evidenceContentPolicy({
      maxBytes: MIB,
      contentTypes: ['image/jpeg', 'application/pdf'],
      extensions: ['jpg', 'pdf'],
    });

    const types = allowedFileTypes(narrow);

    expect(types).toEqual([
      { contentType: 'application/pdf', description: 'PDF document', extensions: ['pdf'] },
      { contentType: 'image/jpeg', description: 'JPEG image', extensions: ['jpg'] },
    ]);
  });
});
