// Objects in the informer caches are plain JSON, whichever way they arrived: watch events
// are parsed JSON already; typed list and write responses of @kubernetes/client-node are
// model instances with Date fields, turned back into the API's JSON here. managedFields
// are dropped on the way in (nothing reads them, and they are most of an object's bytes).

/** RFC 3339 as the API server writes it: seconds precision unless there is a fraction. */
function rfc3339(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

function plainValue(value: unknown): unknown {
  if (value instanceof Date) return rfc3339(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plainValue(v);
    return out;
  }
  return value;
}

/** A Kubernetes object as plain JSON, without metadata.managedFields. */
export function toPlain<T>(object: unknown): T {
  const out = plainValue(object) as { metadata?: Record<string, unknown> };
  if (out?.metadata && 'managedFields' in out.metadata) delete out.metadata.managedFields;
  return out as T;
}

/**
 * A plain JSON object (watch event or list item) without managedFields, changed in place:
 * ListWatch keeps its own reference to it, so both caches share one copy of each object.
 */
export function withoutManagedFields<T>(object: T): T {
  const meta = (object as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (meta && 'managedFields' in meta) delete meta.managedFields;
  return object;
}

/**
 * Orders two resourceVersions: negative when `a` is older. Kubernetes calls them opaque,
 * but every etcd-backed API server issues increasing integers; anything else compares
 * as "different" (1) so the newer observation wins.
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a && b && /^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return 1;
}
