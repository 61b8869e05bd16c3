import type { RouteObject } from 'react-router';
import { MFA_ENROLMENT_PATH, RequireSession } from '../app/RequireSession.tsx';
import { AccountPage } from './AccountPage.tsx';
import { MfaEnrolmentPage } from './MfaEnrolmentPage.tsx';
import { SetupPasswordPage } from './SetupPasswordPage.tsx';
import { SignInPage } from './SignInPage.tsx';

/** Identity screens outside the app shell: sign-in, first password and MFA enrolment. */
export const identityPublicRoutes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/setup-password', element: <SetupPasswordPage /> },
  {
    path: MFA_ENROLMENT_PATH,
    element: (
      <RequireSession allowEnrolmentOnly>
        <MfaEnrolmentPage />
      </RequireSession>
    ),
  },
];

/** Identity screens inside the app shell. */
export const identityShellRoutes: RouteObject[] = [{ path: '/account', element: <AccountPage /> }];
