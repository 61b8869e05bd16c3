import { Alert, Code, Text } from '@mantine/core';
import { isApiError } from '../api/api-error.ts';

/**
 * Shows why a request failed: the server's message, its error code and the
 * request id, which support needs to find the request in the server's log.
 * Mantine's Alert has role="alert", so screen readers announce it.
 */
export function ErrorAlert({
  error,
  title = 'Request failed',
}: {
  error: unknown;
  title?: string;
}) {
  if (!isApiError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return (
      <Alert color="red" title={title}>
        <Text size="sm">{message}</Text>
      </Alert>
    );
  }

  return (
    <Alert color="red" title={title} data-error-code={error.code}>
      <Text size="sm">{error.detail}</Text>
      <Text size="sm" mt="xs">
        Error code: <Code>{error.code}</Code>
      </Text>
      <Text size="sm">
        Request id:{' '}
        {error.requestId === undefined ? (
          'none (no response from the server)'
        ) : (
          <Code data-testid="request-id">{error.requestId}</Code>
        )}
      </Text>
    </Alert>
  );
}
