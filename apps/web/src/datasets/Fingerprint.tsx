import { Button, Code, CopyButton, Group } from '@mantine/core';

/**
 * Shows a SHA-256 in hex, whole so it can be compared by eye, with a button
 * that copies it. `label` names it for the copy button, such as "raw file".
 */
export function Fingerprint({ value, label }: { value: string; label: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Code style={{ wordBreak: 'break-all' }}>{value}</Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button
            variant="subtle"
            color="dark"
            size="compact-xs"
            style={{ flexShrink: 0 }}
            onClick={copy}
            aria-label={`Copy the SHA-256 of the ${label}`}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}
