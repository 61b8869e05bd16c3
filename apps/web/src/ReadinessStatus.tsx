import { ErrorDetails } from './ErrorDetails.tsx';
import { useGetJson } from './useGetJson.ts';

// Any 2xx from GET /health/ready means ready, so the body is not inspected.
function acceptAnyBody(): true {
  return true;
}

/** Requests GET /health/ready on mount and shows whether the server is ready. */
export function ReadinessStatus() {
  const state = useGetJson('/health/ready', acceptAnyBody);

  if (state.status === 'loading') {
    return <p>Checking readiness…</p>;
  }
  if (state.result.ok) {
    return <p className="badge badge-ok">Ready</p>;
  }

  const { error } = state.result;
  const failedCheck = error.kind === 'problem' ? error.failedCheck : undefined;
  return (
    <>
      <p className="badge badge-failed">Not ready</p>
      {failedCheck === undefined ? (
        <p>The readiness request failed.</p>
      ) : (
        <p>
          Failed check: <code>{failedCheck}</code>
        </p>
      )}
      <ErrorDetails error={error} />
    </>
  );
}
