// The one I/O helper for the shipped EC2 catalog: reads data/ec2-us-east-1.json and
// data/ec2-network-us-east-1.json (next to this file) and hands the parsed JSON to core, which stays free of I/O.

import { readFileSync } from 'node:fs';
import type { RawCatalog } from '../core/index.ts';

let cached: RawCatalog | undefined;

/** The shipped us-east-1 catalog (1,345 instance types, on-demand prices). Parsed once per process. */
export function loadShippedCatalog(): RawCatalog {
  if (!cached) {
    const text = readFileSync(new URL('./ec2-us-east-1.json', import.meta.url), 'utf8');
    cached = JSON.parse(text) as RawCatalog;
    // Network cards and EFA interfaces (EC2NodeClass networkInterfaces) live in a file of their own.
    const network = JSON.parse(readFileSync(new URL('./ec2-network-us-east-1.json', import.meta.url), 'utf8')) as {
      instanceTypes: Record<string, { maximumNetworkCards: number; maximumEfaInterfaces: number }>;
    };
    for (const t of cached.instanceTypes) {
      const n = network.instanceTypes[t.name];
      if (n) Object.assign(t, n);
    }
  }
  return cached;
}
