/**
 * Compute the SHA-256 of `file` as 64 lowercase hexadecimal digits with Web
 * Crypto. NOTE: crypto.subtle.digest takes the whole input at once, so this
 * reads the whole file into memory, which limits the file size to what the
 * browser can hold in one ArrayBuffer. Evidence uploads check the server's
 * size limit before they call it; dataset uploads do not yet.
 */
export async function sha256HexOfBlob(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
