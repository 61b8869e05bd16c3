import { Alert, Code, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getSetupStatus } from './identity-api.ts';

/** Tells the operator of a new deployment how to create the first administrator. */
export function SetupStatusHint() {
  const status = useQuery({
    queryKey: ['setup-status'],
    queryFn: ({ signal }) => getSetupStatus(signal),
  });
  if (status.data?.initialized !== false) return null;

  return (
    <Alert color="yellow" title="No administrator exists yet">
      <Text size="sm">
        Create the first administrator on the server with{' '}
        <Code>npx peytonix admin create --email you@example.com</Code>, then set its password here
        with the setup secret that the command prints.
      </Text>
    </Alert>
  );
}
