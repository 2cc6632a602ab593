// The git IntentSource: `new GitIntentSource({ url, cacheDir })`, then `start()`.
export { GitIntentSource, DEFAULT_GIT_INTERVAL_MS, type GitIntentSourceConfig, type SignatureVerification } from './source.ts';
export { PolicyRepository, GitRepositoryError } from './repository.ts';
export { validateParsedIntent, referenceProblems, manifestProblem, type IntentValidation, type LocatedObject } from './validate.ts';
