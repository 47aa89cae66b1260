/** The notice shown when the session ended (signed out elsewhere, revoked, expired): sign in again, edits are kept. */
import { Banner } from '../ui/Banner';
import { useAuth } from './AuthContext';

export function SessionEndedBanner() {
  const { signInAgain } = useAuth();
  return (
    <div className="session-ended">
      <Banner
        kind="error"
        testId="session-ended"
        action={
          <button type="button" className="btn btn-primary" onClick={signInAgain} data-testid="sign-in-again">
            Sign in again
          </button>
        }
      >
        <strong>Your session ended — sign in again.</strong> Changes you have not sent yet are kept on this device
        and are saved once you are signed in.
      </Banner>
    </div>
  );
}
