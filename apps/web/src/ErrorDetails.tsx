import type { ApiError } from './api.ts';

/** Shows the detail of a failed request, and the code and request id when the server sent them. */
export function ErrorDetails({ error }: { error: ApiError }) {
  return (
    <div className="error-details">
      <p>{error.detail}</p>
      {error.kind === 'problem' && (
        <dl>
          <dt>Error code</dt>
          <dd>
            <code>{error.code}</code>
          </dd>
          {error.requestId !== undefined && (
            <>
              <dt>Request id</dt>
              <dd>
                <code>{error.requestId}</code>
              </dd>
            </>
          )}
        </dl>
      )}
    </div>
  );
}
