import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { WeakPassword } from '@shop/kit/errors';

/**
 * The password rule beyond length (contract v4): zxcvbn's estimate, from @zxcvbn-ts/core with the common-password
 * and diceware dictionaries and keyboard graphs of @zxcvbn-ts/language-common, must reach MIN_SCORE.
 *
 * MIN_SCORE = 3 is zxcvbn's "safely unguessable" (≥ 10^8 estimated guesses), its own recommendation for an
 * account password: `12345678`, `password1`, `Passw0rd!`, `iloveyou123`, `Summer2024!` and passwords built from
 * the customer's username or name are refused; `correct-horse-battery` or four random words pass easily.
 *
 * Cost: the estimate reads the first ANALYSED_CHARACTERS characters only, with at most 10 leet substitutions
 * (`p4ssw0rd`) tried. On all 72 characters its matchers can take 0.1–0.5 s on crafted input (repeated
 * keyboard runs, digit sequences, leet symbols); with these bounds, 300 crafted 72-character inputs took a
 * median 15 ms and at most ~150 ms, ordinary passwords about 1 ms (measured on the 2-core development machine),
 * and the check runs only after the registration limit and the current-password throttle have counted the
 * attempt. A password whose first 32 characters are weak is refused even if the rest is strong (put the strong
 * part first). The dictionaries cost ~7 MB of heap, loaded once at start.
 */
export const MIN_SCORE = 3;
const ANALYSED_CHARACTERS = 32;

const zxcvbn = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: ANALYSED_CHARACTERS, l33tMaxSubstitutions: 10 });

/** What each of zxcvbn's warnings means, in the words of this API. */
const HINTS: Record<string, string> = {
  topTen: 'it is one of the most commonly used passwords',
  topHundred: 'it is one of the most commonly used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is close to a commonly used password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'names are easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'it contains the username or name',
  straightRow: 'rows of keys are easy to guess',
  keyPattern: 'keyboard patterns are easy to guess',
  simpleRepeat: 'repeated characters are easy to guess',
  extendedRepeat: 'repeated groups of characters are easy to guess',
  sequences: 'sequences such as abc or 6543 are easy to guess',
  recentYears: 'recent years are easy to guess',
  dates: 'dates are easy to guess',
};

/** Throws WeakPassword (400 `weak_password`) when `password` is too easy to guess; `personal` are the account's own words. */
export function assertStrongPassword(password: string, personal: string[]): void {
  const { score, feedback } = zxcvbn.check(password, personal);
  if (score >= MIN_SCORE) return;
  const hint = (feedback.warning && HINTS[feedback.warning]) ?? 'add a few more uncommon words';
  throw new WeakPassword('The password is too easy to guess', [
    { path: 'body.password', message: `too easy to guess (strength ${score} of 4, at least ${MIN_SCORE} needed): ${hint}` },
  ]);
}
