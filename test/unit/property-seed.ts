// Property tests (fast-check) draw their inputs from one seed: fixed under CI (CI=true), so
// a red run and a green run differ by the code and not by the draw; random elsewhere, so
// local runs keep looking for new counterexamples (fast-check prints the seed of a failure).
// JOINERY_PROPERTY_SEED=<n> replays any seed, in CI or not.
import fc from 'fast-check';

const CI_SEED = 20261206;

const given = process.env.JOINERY_PROPERTY_SEED;
const seed = given !== undefined && given !== '' ? Number(given) : process.env.CI === 'true' ? CI_SEED : undefined;
if (seed !== undefined) {
  if (!Number.isInteger(seed)) throw new Error(`JOINERY_PROPERTY_SEED must be an integer, got "${given}"`);
  fc.configureGlobal({ seed });
}
