import { ErrorDetails } from './ErrorDetails.tsx';
import { useGetJson } from './useGetJson.ts';

/** Body of GET /api/v1/setup/status. */
interface SetupStatusBody {
  initialized: boolean;
}

function parseSetupStatus(body: unknown): SetupStatusBody | undefined {
  if (
    typeof body === 'object' &&
    body !== null &&
    'initialized' in body &&
    typeof body.initialized === 'boolean'
  ) {
    return { initialized: body.initialized };
  }
  return undefined;
}

/**
 * Requests GET /api/v1/setup/status on mount and shows whether an administrator exists,
 * with the command that creates the first one when none does.
 */
export function SetupStatus() {
  const state = useGetJson('/api/v1/setup/status', parseSetupStatus);

  if (state.status === 'loading') {
    return <p>Checking setup…</p>;
  }
  if (!state.result.ok) {
    return (
      <>
        <p>The setup status could not be read.</p>
        <ErrorDetails error={state.result.error} />
      </>
    );
  }
  if (state.result.value.initialized) {
    return <p>An administrator exists.</p>;
  }
  return (
    <p>
      No administrator exists yet. Run:{' '}
      <code>npx peytonix admin create --email you@example.com</code>
    </p>
  );
}
