// Pure disruption logic: budgets (with a cron evaluator), candidate ordering and drift
// hashing. No clock reads: every function that depends on time takes the instant.
export * from './duration.ts';
export * from './cron.ts';
export * from './budgets.ts';
export * from './drift.ts';
export * from './ordering.ts';
