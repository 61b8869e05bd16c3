import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id in @node-rs/argon2, whose const enum cannot be imported under verbatimModuleSyntax. */
const ARGON2ID = 2;

/** argon2id cost parameters. Parallelism stays 1, so one hash uses one core. */
export interface Argon2Parameters {
  memoryKib: number;
  timeCost: number;
}

export interface PasswordCheck {
  matches: boolean;
  /** True when the stored hash used other parameters and should be replaced. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Check a password against a stored hash. With no stored hash (an unknown
   * user, or one without a password) it checks against a hash of a random
   * value instead, so the call takes about as long and always fails.
   */
  verify(storedHash: string | null, password: string): Promise<PasswordCheck>;
}

const PHC_PARAMETERS = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Normalize before hashing so that the same password typed on keyboards
 * that produce different Unicode forms still matches (NFKC).
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

function usesParameters(storedHash: string, parameters: Argon2Parameters): boolean {
  const match = PHC_PARAMETERS.exec(storedHash);
  return (
    match !== null &&
    Number(match[1]) === parameters.memoryKib &&
    Number(match[2]) === parameters.timeCost &&
    Number(match[3]) === 1
  );
}

export function createPasswordHasher(parameters: Argon2Parameters): PasswordHasher {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.timeCost,
    parallelism: 1,
  };
  const hashPassword = (password: string) => hash(normalizePassword(password), options);

  // Made lazily with the current parameters, so a missing user costs the
  // same argon2id work as a present one.
  let decoy: Promise<string> | null = null;
  const decoyHash = () => {
    decoy ??= hash(randomBytes(32), options);
    return decoy;
  };

  return {
    hash: hashPassword,

    async verify(storedHash, password) {
      const target = storedHash ?? (await decoyHash());
      // @node-rs/argon2 compares the derived hash in constant time.
      const matches = await verify(target, normalizePassword(password));
      return {
        matches: matches && storedHash !== null,
        needsRehash: storedHash !== null && !usesParameters(storedHash, parameters),
      };
    },
  };
}
