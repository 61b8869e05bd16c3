/**
 * The key provider cannot supply a key. Whatever needed the key stops:
 * nothing falls back to an unprotected key.
 */
export class KeyProviderError extends Error {
  /** The provider's own error name, such as AccessDeniedException, or a local code. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyProviderError';
    this.reason = reason;
  }
}
