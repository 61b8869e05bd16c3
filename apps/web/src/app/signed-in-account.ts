import { createContext, useContext } from 'react';
import type { Account } from '../identity/identity-api.ts';

export const SignedInAccountContext = createContext<Account | null>(null);

/** The signed-in user's account, for screens rendered inside RequireSession. */
export function useSignedInAccount(): Account {
  const account = useContext(SignedInAccountContext);
  if (account === null) {
    throw new Error('useSignedInAccount was called outside RequireSession; wrap the route in it.');
  }
  return account;
}
