// Exit codes shared by every command.
//   0  success (every expectation held / the check passed)
//   1  a check failed: an expectation did not hold, a signature did not verify, a violation was found
//   2  invalid input: bad arguments, unreadable or malformed files (reported as file:line:col)
//  70  internal error (a bug in sgxsim: an invariant was violated)
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** A user-facing error: printed as one line (no stack), exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
