import type { ContentDisposition } from './object-storage.ts';

// Characters replaced in the quoted ASCII file name. Quotes and
// backslashes would end or escape the quoted string, and control and
// non-ASCII characters are not allowed in it. RFC 6266, Appendix D,
// advises against '%' because some clients treat it as an escape there.
// The u flag replaces a character outside the BMP, such as an emoji, with
// one '_' rather than one per UTF-16 code unit.
const UNSAFE_IN_ASCII_FILE_NAME = /[^\x20-\x7e]|["\\%]/gu;

// encodeURIComponent leaves these unescaped, but RFC 8187 allows none of
// them in the value of filename*.
const UNSAFE_IN_EXTENDED_VALUE = /['()*]/g;

/**
 * Build a Content-Disposition header value that offers `fileName` in the
 * two forms that RFC 6266 recommends. Old clients read `filename`, an
 * ASCII copy with every unsafe character replaced by '_'. Current
 * browsers read `filename*`, the name in UTF-8 percent-encoding (RFC 8187).
 * The result is printable ASCII, so it also fits S3's
 * response-content-disposition parameter. Unpaired surrogates in
 * `fileName` become U+FFFD. Throws a TypeError for an empty `fileName` or
 * a `disposition` other than attachment or inline.
 */
export function contentDispositionHeader(
  disposition: ContentDisposition,
  fileName: string,
): string {
  if (disposition !== 'attachment' && disposition !== 'inline') {
    throw new TypeError(
      `The disposition type ${JSON.stringify(String(disposition))} is invalid. Use attachment or inline.`,
    );
  }
  if (typeof fileName !== 'string' || fileName.length === 0) {
    throw new TypeError('contentDispositionHeader needs a non-empty file name.');
  }

  // encodeURIComponent throws a URIError on an unpaired surrogate.
  const name = fileName.toWellFormed();
  const asciiName = name.replace(UNSAFE_IN_ASCII_FILE_NAME, '_');
  const extendedName = encodeURIComponent(name).replace(
    UNSAFE_IN_EXTENDED_VALUE,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${asciiName}"; filename*=UTF-8''${extendedName}`;
}

/** Return the file name of a download that names none: the last segment of its key. */
export function defaultFileName(key: string): string {
  return key.split('/').at(-1) ?? key;
}
