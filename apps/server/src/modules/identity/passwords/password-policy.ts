import { dictionary } from '@zxcvbn-ts/language-common';
import { normalizePassword } from './password-hasher.ts';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The common-password list: the `passwords-common` frequency list of
 * @zxcvbn-ts/language-common (MIT), about 49,000 leaked passwords ranked
 * by frequency. Most are shorter than the minimum length, but the
 * trimmed-suffix check below catches "password1234"-style padding.
 */
let commonPasswords: ReadonlySet<string> | null = null;

function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return commonPasswords;
}

export interface PasswordContext {
  email?: string;
  displayName?: string;
}

/**
 * Return why a new password is not acceptable, or null when it is. The
 * length counts Unicode code points after NFKC normalization.
 */
export function findPasswordProblem(
  password: string,
  context: PasswordContext = {},
): string | null {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `The password has ${length} characters; use at least ${PASSWORD_MIN_LENGTH}.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `The password has ${length} characters; use at most ${PASSWORD_MAX_LENGTH}.`;
  }

  const lower = normalized.toLowerCase();
  const withoutPadding = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  const common = commonPasswordSet();
  if (common.has(lower) || (withoutPadding.length >= 4 && common.has(withoutPadding))) {
    return 'The password is on the list of commonly used passwords; choose another.';
  }
  if (new Set(lower).size <= 2) {
    return 'The password repeats one or two characters; choose a less predictable one.';
  }

  const localPart = context.email?.split('@')[0]?.toLowerCase();
  if (localPart !== undefined && localPart.length >= 4 && lower.includes(localPart)) {
    return 'The password contains your email name; choose one that does not.';
  }
  const name = context.displayName?.toLowerCase().replace(/\s+/g, '');
  if (name !== undefined && name.length >= 4 && lower.replace(/\s+/g, '').includes(name)) {
    return 'The password contains your name; choose one that does not.';
  }
  return null;
}
