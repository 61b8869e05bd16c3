import { generate } from 'otplib';

/** RFC 6238 time step that the server uses, in seconds. */
const STEP_SECONDS = 30;

const currentStep = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/**
 * An authenticator app for one TOTP seed. The server accepts the current
 * time step and one step either side, and each step only once, so each code
 * is for the step after the last one used. `nextCode` waits only when that
 * step is more than one step ahead of the clock.
 */
export class TestAuthenticator {
  readonly secret: string;
  private lastUsedStep: number;

  /** `usedUntilNow` marks the current step as used, as after the enrolment's own code. */
  constructor(secret: string, usedUntilNow = true) {
    this.secret = secret;
    this.lastUsedStep = usedUntilNow ? currentStep() : currentStep() - 1;
  }

  async nextCode(): Promise<string> {
    // Never a past step: the clock may move on before the server checks the code.
    const step = Math.max(this.lastUsedStep + 1, currentStep());
    const waitMs = (step - 1) * STEP_SECONDS * 1000 - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs + 200));
    this.lastUsedStep = step;
    return await generate({ secret: this.secret, epoch: step * STEP_SECONDS });
  }
}
