// API errors from @kubernetes/client-node (ApiException: code + Status body) in one line
// a person can read: which request, the HTTP status, and the API server's own message.

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function apiServerMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string } | null;
  const body = e?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return e?.message ?? String(err);
}

export class KubernetesApiError extends Error {
  constructor(
    readonly request: string,
    readonly code: number | undefined,
    cause: unknown,
  ) {
    super(`${request}: ${code !== undefined ? `HTTP ${code}: ` : ''}${apiServerMessage(cause)}`, { cause });
    this.name = 'KubernetesApiError';
  }
}
