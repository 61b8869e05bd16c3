import { useEffect, useState } from 'react';
import { type ApiResult, getJson } from './api.ts';

export type RequestState<T> = { status: 'loading' } | { status: 'done'; result: ApiResult<T> };

/**
 * Sends GET `path` once per mount and returns the request's state.
 * `parse` must keep its identity between renders (define it at module level),
 * or the request repeats on every render. Remount the component to request again.
 */
export function useGetJson<T>(path: string, parse: (body: unknown) => T | undefined) {
  const [state, setState] = useState<RequestState<T>>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    getJson(path, parse, controller.signal).then(
      (result) => {
        if (!controller.signal.aborted) {
          setState({ status: 'done', result });
        }
      },
      // getJson rejects only after the abort below, when the result is no longer needed.
      () => undefined,
    );
    return () => controller.abort();
  }, [path, parse]);

  return state;
}
