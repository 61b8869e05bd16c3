import { KeyProviderError } from './key-provider-error.ts';

/**
 * The fix for each error that KMS documents for Encrypt, Decrypt and
 * GenerateDataKey. AccessDeniedException is built in kmsError because its
 * fix names the operation. An error missing here still fails closed, with
 * the generic fix.
 */
const KMS_FIXES: Record<string, string> = {
  NotFoundException: 'check PEYTONIX_KMS_KEY_ID and PEYTONIX_AWS_REGION',
  DisabledException: 'enable the KMS key',
  KMSInvalidStateException:
    'the KMS key is pending deletion or import; cancel the deletion or finish the import',
  InvalidKeyUsageException: 'use a symmetric key whose key usage is ENCRYPT_DECRYPT',
  InvalidCiphertextException:
    'the stored key was not encrypted by this KMS key with this context; restore the original row or KMS key',
  IncorrectKeyException:
    'the stored key was encrypted under another KMS key; set PEYTONIX_KMS_KEY_ID to that key',
  InvalidGrantTokenException: 'remove the grant token from the request configuration',
  KeyUnavailableException:
    'the key material is unavailable (custom key store disconnected); reconnect it',
  KMSInternalException: 'KMS failed internally; retry later',
  DependencyTimeoutException: 'KMS timed out; retry later',
  ThrottlingException: 'KMS throttled the request; retry later or raise the request quota',
  DryRunOperationException: 'the request was a dry run and did nothing; remove DryRun from it',
};

/**
 * Turn an error from the KMS client into a KeyProviderError that names the
 * fix. `operation` is the KMS API name, such as Decrypt, which is also the
 * IAM action. `context`, when given, names what the key protects.
 */
export function kmsError(
  operation: string,
  keyId: string,
  error: unknown,
  context?: string,
): KeyProviderError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const fix =
    name === 'AccessDeniedException'
      ? `grant this role kms:${operation} on the key in its key policy or IAM policy`
      : (KMS_FIXES[name] ?? 'check that KMS is reachable from this host and retry');
  const subject = context === undefined ? '' : ` for context "${context}"`;
  return new KeyProviderError(
    name,
    `KMS ${operation} with key ${keyId}${subject} failed (${name}): ${fix}.`,
    {
      cause: error,
    },
  );
}
