import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';

/**
 * Create a KMS client with bounded waits, so an unreachable KMS fails a request
 * within seconds instead of hanging startup. Credentials come from the
 * SDK's default chain (the task or instance role) unless `overrides`
 * gives them.
 */
export function createKmsClient(
  region: string,
  overrides: Partial<KMSClientConfig> = {},
): KMSClient {
  return new KMSClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    ...overrides,
  });
}
