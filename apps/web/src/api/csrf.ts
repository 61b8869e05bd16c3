/** Readable cookie that the server sets beside the HttpOnly session cookies. */
const CSRF_COOKIE = '__Host-peytonix-csrf';

let tokenFromSignIn: string | undefined;

function readCookie(name: string): string | undefined {
  for (const pair of document.cookie.split(';')) {
    const separator = pair.indexOf('=');
    if (separator !== -1 && pair.slice(0, separator).trim() === name) {
      return decodeURIComponent(pair.slice(separator + 1).trim());
    }
  }
  return undefined;
}

/** Store the CSRF token from a sign-in or refresh response body. */
export function rememberCsrfToken(token: string | null): void {
  if (token !== null) tokenFromSignIn = token;
}

export function forgetCsrfToken(): void {
  tokenFromSignIn = undefined;
}

/**
 * Return the token for the X-CSRF-Token header. The cookie comes first,
 * because it always belongs to the session whose access cookie the browser
 * sends, even after another tab signed in again. The token from the last
 * response body is the fallback.
 */
export function currentCsrfToken(): string | undefined {
  return readCookie(CSRF_COOKIE) ?? tokenFromSignIn;
}
