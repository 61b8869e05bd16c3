import { Alert, Button, Checkbox, Code, CopyButton, Group, List, Stack, Text } from '@mantine/core';
import { useState } from 'react';

function downloadAsText(codes: readonly string[]): void {
  const text = `Peytonix recovery codes. Each code works once.\n\n${codes.join('\n')}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'peytonix-recovery-codes.txt';
  link.click();
  URL.revokeObjectURL(url);
}

/**
 * Shows newly issued recovery codes. The server stores only their hashes,
 * so this panel is the only place they appear. The `onDone` button is
 * enabled after the user confirms that they saved them.
 */
export function RecoveryCodesPanel({
  codes,
  doneLabel,
  onDone,
}: {
  codes: readonly string[];
  doneLabel: string;
  onDone: () => void;
}) {
  const [saved, setSaved] = useState(false);
  const joined = codes.join('\n');

  return (
    <Stack>
      <Alert color="yellow" title="Save your recovery codes now">
        <Text size="sm">
          Each code signs you in once when you cannot use your authenticator app or passkey. They
          are shown only this once. Store them in a password manager or print them.
        </Text>
      </Alert>
      <List type="ordered" aria-label="Recovery codes" data-testid="recovery-codes" spacing={4}>
        {codes.map((code) => (
          <List.Item key={code}>
            <Code fz="md">{code}</Code>
          </List.Item>
        ))}
      </List>
      <Group>
        <CopyButton value={joined}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy}>
              {copied ? 'Copied' : 'Copy codes'}
            </Button>
          )}
        </CopyButton>
        <Button variant="default" onClick={() => downloadAsText(codes)}>
          Download as a text file
        </Button>
      </Group>
      <Checkbox
        label="I have saved these recovery codes"
        checked={saved}
        onChange={(event) => setSaved(event.currentTarget.checked)}
      />
      <Button disabled={!saved} onClick={onDone}>
        {doneLabel}
      </Button>
    </Stack>
  );
}
