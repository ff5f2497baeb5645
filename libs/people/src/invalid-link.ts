import { HttpStatus } from '@nestjs/common';
import { AppError } from '@sigdesk/http';
import { PASSWORD_PROBLEM_MESSAGES, passwordProblem } from './rules/password-policy';

/** One answer for an unknown, used or expired link: it tells nothing of which, nor whether it ever existed. */
export function invalidLink(): AppError {
  return new AppError(
    HttpStatus.GONE,
    'link_invalid',
    'This link is not valid: it is unknown, used already or expired. Ask for a new one.',
  );
}

/** 422 with the policy's code when a password is not acceptable for the account of `email`. */
export function assertPasswordAcceptable(password: string, email: string): void {
  const problem = passwordProblem(password, email);
  if (problem) throw AppError.unprocessable(problem, PASSWORD_PROBLEM_MESSAGES[problem]);
}
