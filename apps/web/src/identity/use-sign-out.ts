import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { signOut } from './identity-api.ts';
import type { SignInState } from './sign-in-notice.ts';

/** Sign out of this session, forget every cached query, and open the sign-in page. */
export function useSignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: signOut,
    onSuccess: () => {
      queryClient.clear();
      const state: SignInState = { notice: 'You signed out.' };
      navigate('/sign-in', { replace: true, state });
    },
  });
}
