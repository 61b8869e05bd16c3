import { Anchor, Code, Image, Stack, Text } from '@mantine/core';
import { totpConfirmInputSchema } from '@peytonix/contracts';
import { CodeForm } from './CodeForm.tsx';
import { confirmTotpEnrolment } from './identity-api.ts';

export interface TotpEnrolmentData {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

/** Groups of four characters, as authenticator apps show a setup key. */
function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/**
 * Second half of TOTP enrolment: the QR code and setup key from the server,
 * and the first code, which confirms the enrolment and returns the recovery codes.
 */
export function TotpEnrolment({
  enrolment,
  onConfirmed,
}: {
  enrolment: TotpEnrolmentData;
  onConfirmed: (recoveryCodes: string[]) => void;
}) {
  // A data: URL, which the content security policy allows for images, so
  // the server's SVG is never parsed into this document.
  const qrCodeUrl = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrCodeSvg)}`;

  return (
    <Stack>
      <Text>
        Scan the QR code with an authenticator app such as 1Password, Google Authenticator or
        Microsoft Authenticator.
      </Text>
      <Image
        src={qrCodeUrl}
        alt="QR code that adds Peytonix to an authenticator app"
        w={200}
        h={200}
        bg="white"
        data-testid="totp-qr-code"
      />
      <Text size="sm">
        If you cannot scan it, enter this setup key in the app instead:{' '}
        <Code data-testid="totp-secret">{groupSecret(enrolment.secret)}</Code>
      </Text>
      <Anchor href={enrolment.otpauthUri} size="sm" data-testid="totp-uri">
        Open in an authenticator app on this device
      </Anchor>
      <CodeForm
        label="6-digit code from the app"
        description="Enter the code that the app now shows, to confirm that it works."
        schema={totpConfirmInputSchema.shape.code}
        inputMode="numeric"
        autoComplete="one-time-code"
        submitLabel="Confirm"
        submit={confirmTotpEnrolment}
        onSuccess={onConfirmed}
      />
    </Stack>
  );
}
