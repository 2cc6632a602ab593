// The reconciler's ports: controllers depend on these, never on a client library.
export * from './clock.ts';
export * from './cluster.ts';
export * from './cloud.ts';
export * from './intent.ts';
