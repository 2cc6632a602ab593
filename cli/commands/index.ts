// The command registry. To add a command: write cli/commands/<name>.ts exporting
// `command: Command` (keep its top-level imports light: import the heavy modules inside
// run()), and add one line below. Modules load only when their command runs, or for help.
import type { Command } from '../command.ts';

export interface CommandEntry {
  name: string;
  load: () => Promise<{ command: Command }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'init', load: () => import('./init.ts') },
  { name: 'compile', load: () => import('./compile.ts') },
  { name: 'commit', load: () => import('./commit.ts') },
  { name: 'import', load: () => import('./import.ts') },
  { name: 'plan', load: () => import('./plan.ts') },
  { name: 'explain', load: () => import('./explain.ts') },
  { name: 'reconcile', load: () => import('./reconcile.ts') },
  { name: 'simulate', load: () => import('./simulate.ts') },
  { name: 'version', load: () => import('./version.ts') },
  { name: 'completion', load: () => import('./completion.ts') },
];
