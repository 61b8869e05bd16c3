import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyHash, resultHash } from '../../src/modules/runs/result-hash.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('result hash', () => {
  it('hashes the sorted JCS lines of the rows, joined by line feeds', () => {
    const hash = resultHash(
      ['vendor', 'amount'],
      [
        ['V2', '10.00'],
        ['V1', '5.50'],
      ],
    );

    expect(hash.toString('hex')).toBe(
      sha256('{"amount":"10.00","vendor":"V2"}\n{"amount":"5.50","vendor":"V1"}'),
    );
  });

  it('does not depend on row or column order', () => {
    const rows = [
      ['V1', 1],
      ['V2', 2],
      ['V3', 3],
    ];

    const forward = resultHash(['vendor', 'count'], rows);
    const reversed = resultHash(
      ['count', 'vendor'],
      rows.map(([vendor, count]) => [count ?? null, vendor ?? null]).reverse(),
    );

    expect(reversed.equals(forward)).toBe(true);
  });

  it('hashes an empty result as the digest of the empty string', () => {
    expect(resultHash(['vendor'], []).toString('hex')).toBe(sha256(''));
  });

  it('hashes a result whose text exceeds the longest string V8 allows', () => {
    // 600,000 rows of about 1,000 characters: about 600 MB as one string, above V8's limit of 512 MiB.
    const filler = 'x'.repeat(1_000);
    const rows = Array.from({ length: 600_000 }, (_, index) => [index, filler]);

    const hash = resultHash(['n', 'text'], rows);

    expect(hash).toHaveLength(32);
  });

  it('identifies a key by the JCS array of its values', () => {
    expect(keyHash(['V1', 'INV-1', '100.00']).toString('hex')).toBe(
      sha256('["V1","INV-1","100.00"]'),
    );
  });
});
