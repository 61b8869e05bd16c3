import { connect, type Socket } from 'node:net';

/**
 * The outcome of a scan. Only `clean` lets a file through: an infected
 * file is quarantined, and any error leaves it undownloadable until a
 * later scan succeeds, so the scanner fails closed.
 */
export type ScanVerdict =
  | { kind: 'clean' }
  | { kind: 'infected'; signature: string }
  | { kind: 'error'; reason: ScanErrorReason; detail: string };

export type ScanErrorReason =
  /** No connection to clamd, or it closed the connection before its reply. */
  | 'unreachable'
  /** clamd sent no reply within the time limit. */
  | 'timeout'
  /** clamd stopped reading because the stream exceeded its StreamMaxLength. */
  | 'size_limit'
  /** clamd replied with an error, or with a reply this client does not know. */
  | 'scanner_error';

/** The address of clamd: a TCP port on a host, or a Unix socket. */
export type ClamdAddress = { host: string; port: number } | { socketPath: string };

export interface ClamdOptions {
  address: ClamdAddress;
  /** Time limit for connecting, for each write and for the final reply, in ms. */
  timeoutMs?: number;
  /** Bytes per INSTREAM chunk; clamd's StreamMaxLength bounds the total, not the chunk. */
  chunkBytes?: number;
}

/** One scan in progress: feed it the file's bytes in order, then ask for the verdict. */
export interface ScanSession {
  /** Send bytes to clamd; resolves once they are written, so callers get backpressure. */
  write(chunk: Buffer): Promise<void>;
  /** End the stream and return clamd's verdict. Never rejects. */
  finish(): Promise<ScanVerdict>;
  /** Give up the scan and close the connection. */
  abort(): void;
}

export interface ClamdScanner {
  /** Open an INSTREAM session. Never rejects: a failed connection shows in the verdict. */
  open(): ScanSession;
  /** Scan a whole stream of bytes. */
  scan(source: AsyncIterable<Buffer>): Promise<ScanVerdict>;
  /** Return true when clamd replies PONG to PING in time. */
  ping(): Promise<boolean>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Maximum reply length this client reads; real replies are a signature name and a few words. */
const MAX_REPLY_BYTES = 4096;

const INFECTED_REPLY = /^stream: (.+) FOUND$/;

/** Turn clamd's reply to INSTREAM into a verdict, treating anything unknown as an error. */
export function parseScanReply(reply: string): ScanVerdict {
  const text = reply.replace(/\0$/, '').trim();
  if (text === 'stream: OK') return { kind: 'clean' };

  const infected = INFECTED_REPLY.exec(text);
  // With AlertExceedsMax, clamd reports a file it could not scan to the end
  // (too large, too deep, too many archive entries) as a match of
  // Heuristics.Limits.Exceeded.*. The rest of the file is unscanned, which
  // is not the same as a match.
  if (infected?.[1]?.startsWith('Heuristics.Limits.Exceeded')) {
    return { kind: 'error', reason: 'size_limit', detail: text };
  }
  if (infected?.[1] !== undefined) return { kind: 'infected', signature: infected[1] };

  if (/size limit exceeded/i.test(text)) {
    return { kind: 'error', reason: 'size_limit', detail: text };
  }
  return {
    kind: 'error',
    reason: 'scanner_error',
    detail: text === '' ? 'clamd sent an empty reply' : text.slice(0, 200),
  };
}

function socketFor(address: ClamdAddress): Socket {
  return 'socketPath' in address
    ? connect(address.socketPath)
    : connect(address.port, address.host);
}

/**
 * Reader of clamd's reply on a socket: text up to the first NUL byte, or up
 * to the close of the connection.
 */
class ReplyReader {
  readonly done: Promise<ScanVerdict>;
  #chunks: Buffer[] = [];
  #length = 0;
  #settle!: (verdict: ScanVerdict) => void;
  #settled = false;
  /** Set once the zero-length chunk that ends the stream was sent. */
  streamEnded = false;

  constructor(socket: Socket) {
    this.done = new Promise((resolve) => {
      this.#settle = resolve;
    });
    socket.on('data', (data: Buffer) => {
      this.#chunks.push(data);
      this.#length += data.length;
      if (data.includes(0) || this.#length > MAX_REPLY_BYTES) {
        this.settle(this.#verdict());
        socket.destroy();
      }
    });
    socket.on('close', () => {
      if (this.#length > 0) {
        this.settle(this.#verdict());
      } else {
        this.settle({
          kind: 'error',
          reason: 'unreachable',
          detail: 'clamd closed the connection without a reply',
        });
      }
    });
  }

  /**
   * clamd scans only after the whole stream has arrived, so a clean or
   * infected verdict before its end did not come from scanning this file.
   * Only an error, such as the size limit, can legitimately come early.
   */
  #verdict(): ScanVerdict {
    const verdict = parseScanReply(Buffer.concat(this.#chunks).toString('utf8'));
    if (verdict.kind !== 'error' && !this.streamEnded) {
      return {
        kind: 'error',
        reason: 'scanner_error',
        detail: 'clamd sent a verdict before the end of the stream',
      };
    }
    return verdict;
  }

  settle(verdict: ScanVerdict): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(verdict);
  }

  get settled(): boolean {
    return this.#settled;
  }
}

/**
 * Create a client for clamd's INSTREAM command (`zINSTREAM`, then chunks each
 * prefixed with their length as a 4-byte big-endian integer, then a zero
 * length). Every failure becomes a verdict of kind `error`, never an
 * exception, so no caller can mistake a failed scan for a clean one.
 */
export function createClamdScanner(options: ClamdOptions): ClamdScanner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;

  const open = (): ScanSession => {
    const socket = socketFor(options.address);
    const reader = new ReplyReader(socket);
    socket.setTimeout(timeoutMs, () => {
      reader.settle({
        kind: 'error',
        reason: 'timeout',
        detail: `clamd sent no reply within ${timeoutMs} ms`,
      });
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset while sending usually means clamd stopped reading after its
      // size limit; its reply, if any, arrived first and wins. The detail
      // names no address, because users see it.
      const reset = error.code === 'EPIPE' || error.code === 'ECONNRESET';
      reader.settle({
        kind: 'error',
        reason: reset ? 'size_limit' : 'unreachable',
        detail: reset
          ? `clamd closed the connection while the file was sent, usually because the file exceeds its StreamMaxLength (${error.code})`
          : `clamd could not be reached (${error.code ?? 'connection error'})`,
      });
    });

    // Resolves at once while the socket buffers the data, and otherwise on
    // 'drain', so reading the next chunk overlaps with sending this one. A
    // failed write settles the reader through 'error' and ends in 'close'.
    const send = (data: Buffer) =>
      new Promise<void>((resolve) => {
        if (reader.settled || socket.destroyed) {
          resolve();
          return;
        }
        if (socket.write(data)) {
          resolve();
          return;
        }
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    const started = send(Buffer.from('zINSTREAM\0', 'latin1'));

    return {
      async write(chunk) {
        await started;
        for (let offset = 0; offset < chunk.length; offset += chunkBytes) {
          const piece = chunk.subarray(offset, offset + chunkBytes);
          const header = Buffer.alloc(4);
          header.writeUInt32BE(piece.length);
          await send(header);
          await send(piece);
        }
      },
      async finish() {
        await started;
        // Let a reply that already arrived be read first, so a verdict sent
        // before the end of the stream is recognised as early. NOTE: a
        // scanner that times its reply to the last moment can still pass
        // one; this guards against a broken scanner, not a hostile one.
        await new Promise((resolve) => setImmediate(resolve));
        reader.streamEnded = true;
        await send(Buffer.alloc(4));
        // The socket's idle timer restarts with every byte, so a reply
        // trickled byte by byte needs a deadline of its own.
        const deadline = setTimeout(() => {
          reader.settle({
            kind: 'error',
            reason: 'timeout',
            detail: `clamd sent no complete reply within ${timeoutMs} ms of the end of the stream`,
          });
          socket.destroy();
        }, timeoutMs);
        try {
          return await reader.done;
        } finally {
          clearTimeout(deadline);
        }
      },
      abort() {
        reader.settle({ kind: 'error', reason: 'scanner_error', detail: 'the scan was aborted' });
        socket.destroy();
      },
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

    ping() {
      return new Promise((resolve) => {
        const socket = socketFor(options.address);
        let reply = '';
        const done = (result: boolean) => {
          socket.destroy();
          resolve(result);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.on('error', () => done(false));
        socket.on('data', (data: Buffer) => {
          reply += data.toString('latin1');
          if (reply.includes('\0')) done(reply.replace(/\0$/, '') === 'PONG');
        });
        socket.on('close', () => done(false));
        socket.write('zPING\0');
      });
    },
  };
}

/**
 * Create a scanner for processes that have no clamd configured, such as
 * tools and some tests. Every scan ends in an `unreachable` error, so
 * nothing it "scans" ever becomes downloadable.
 */
export function createUnconfiguredScanner(): ClamdScanner {
  const verdict: ScanVerdict = {
    kind: 'error',
    reason: 'unreachable',
    detail: 'no malware scanner is configured for this process',
  };
  return {
    open: () => ({
      write: async () => {},
      finish: async () => verdict,
      abort: () => {},
    }),
    scan: async (source) => {
      for await (const _chunk of source) {
        // Drain the source, so its producer is not left waiting.
      }
      return verdict;
    },
    ping: async () => false,
  };
}
