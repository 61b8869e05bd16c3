import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ClamdScanner, ScanSession, ScanVerdict } from './clamd-client.ts';

/**
 * Nesting depth of the canary archive. It must exceed clamd's MaxRecursion
 * (ClamAV's default is 17, Debian's clamd.conf sets 16), so that clamd
 * stops unpacking before the innermost file.
 */
export const CANARY_DEPTH = 64;

/** Store `content` as the only entry of a ZIP archive, uncompressed. */
function storedZip(name: string, content: Buffer): Buffer {
  const fileName = Buffer.from(name, 'latin1');
  const checksum = crc32(content);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed: 2.0
  local.writeUInt32LE(checksum, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(20, 6); // version needed
  central.writeUInt32LE(checksum, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);

  const localLength = local.length + fileName.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(localLength, 16);

  return Buffer.concat([local, fileName, content, central, fileName, end]);
}

/** Build a text file inside CANARY_DEPTH nested ZIP archives, about 8 KiB in all. */
export function limitCanary(): Buffer {
  let archive = storedZip('canary.txt', Buffer.from('Peytonix scanner limit canary\n'));
  for (let level = 1; level < CANARY_DEPTH; level += 1) {
    archive = storedZip(`level-${level}.zip`, archive);
  }
  return archive;
}

/**
 * Whether clamd reports content it did not scan. A clamd without
 * `AlertExceedsMax yes` replies OK for a file whose end lies beyond its
 * MaxFileSize or MaxScanSize, or inside archives nested deeper than
 * MaxRecursion, so its clean verdict proves nothing about that content.
 * The canary is nested deeper than any usual MaxRecursion: clamd must
 * report it as Heuristics.Limits.Exceeded, never as clean.
 */
export type LimitReporting = 'reported' | 'silent' | 'unknown';

export async function checkLimitReporting(scanner: ClamdScanner): Promise<LimitReporting> {
  const verdict = await scanner.scan(Readable.from([limitCanary()]));
  if (verdict.kind === 'clean') return 'silent';
  if (verdict.kind === 'error' && verdict.detail.includes('Heuristics.Limits.Exceeded')) {
    return 'reported';
  }
  return 'unknown';
}

const SILENT_VERDICT: ScanVerdict = {
  kind: 'error',
  reason: 'scanner_error',
  detail:
    'clamd reports skipped content as clean; set AlertExceedsMax yes in clamd.conf so that files beyond its limits are not passed unscanned',
};

/**
 * Wrap a scanner so that its verdicts count only while clamd is known to
 * report content it skipped. The canary runs before the first clean
 * verdict and again once `recheckMs` has passed. Until it passes, every
 * clean verdict becomes an error, so files wait in scan_pending instead of
 * passing half-scanned.
 */
export function requireLimitReporting(
  scanner: ClamdScanner,
  options: { recheckMs?: number; onSilent?: () => void; now?: () => number } = {},
): ClamdScanner {
  const recheckMs = options.recheckMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  let verifiedAt: number | null = null;
  let pending: Promise<LimitReporting> | null = null;

  const verified = async (): Promise<boolean> => {
    if (verifiedAt !== null && now() - verifiedAt < recheckMs) return true;
    pending ??= checkLimitReporting(scanner).finally(() => {
      pending = null;
    });
    const result = await pending;
    if (result === 'reported') {
      verifiedAt = now();
      return true;
    }
    verifiedAt = null;
    if (result === 'silent') options.onSilent?.();
    return false;
  };

  const open = (): ScanSession => {
    const session = scanner.open();
    return {
      write: (chunk) => session.write(chunk),
      async finish() {
        const verdict = await session.finish();
        // Errors and matches stand on their own; only a clean verdict
        // depends on clamd reporting what it skipped.
        if (verdict.kind !== 'clean') return verdict;
        return (await verified()) ? verdict : SILENT_VERDICT;
      },
      abort: () => session.abort(),
    };
  };

  return {
    open,
    async scan(source) {
      const session = open();
      try {
        for await (const chunk of source) await session.write(chunk);
      } catch (error) {
        session.abort();
        throw error;
      }
      return await session.finish();
    },
    ping: () => scanner.ping(),
  };
}
