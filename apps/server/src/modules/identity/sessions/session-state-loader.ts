import type { Db } from '../../../platform/db/database.ts';
import { readSessionStates, type SessionStateRow } from './sessions.repository.ts';

/** Sessions read by one query at most, so a burst cannot build an unbounded IN list. */
const MAX_BATCH = 256;

interface Waiter {
  resolve(row: SessionStateRow | undefined): void;
  reject(error: unknown): void;
}

/**
 * Read session states for concurrent requests with one query per batch.
 * Each request queues its session id, and the ids that arrived in the same
 * turn of the event loop are read together once that turn's I/O callbacks
 * have run (setImmediate). The query is sent after every request in the
 * batch arrived, so each still reads the state as of its own arrival or
 * later, and a database error rejects every request in the batch.
 */
export function createSessionStateLoader(db: Db, idleMs: number) {
  let queued = new Map<string, Waiter[]>();
  let scheduled = false;

  const runBatch = async (batch: Map<string, Waiter[]>) => {
    try {
      const rows = await readSessionStates(db, [...batch.keys()], idleMs);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, waiters] of batch) {
        for (const waiter of waiters) waiter.resolve(byId.get(id));
      }
    } catch (error) {
      for (const waiters of batch.values()) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
  };

  const flush = () => {
    scheduled = false;
    const all = queued;
    queued = new Map();
    let batch = new Map<string, Waiter[]>();
    for (const [id, waiters] of all) {
      batch.set(id, waiters);
      if (batch.size === MAX_BATCH) {
        void runBatch(batch);
        batch = new Map();
      }
    }
    if (batch.size > 0) void runBatch(batch);
  };

  return (sessionId: string): Promise<SessionStateRow | undefined> =>
    new Promise((resolve, reject) => {
      const waiters = queued.get(sessionId);
      if (waiters) waiters.push({ resolve, reject });
      else queued.set(sessionId, [{ resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
