// How EC2 API errors map onto the CloudProvider port's errors. The codes are EC2's own
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); the
// capacity list is the one Karpenter's AWS provider treats as "this offering is short".

/** CreateFleet error codes meaning "this offering (type x zone x capacity type) has no capacity now". */
export const CAPACITY_ERROR_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'UnfulfillableCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'ReservationCapacityExceeded',
  'SpotMaxPriceTooLow',
]);

/** Codes the API uses when it throttles a caller. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
]);

const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

/** The code of an AWS SDK v3 service error (its name), or undefined for anything else. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return typeof e.code === 'string' ? e.code : undefined;
}

export function isThrottlingError(err: unknown): boolean {
  const code = awsErrorCode(err);
  if (code !== undefined && THROTTLING_CODES.has(code)) return true;
  const meta = err as { $retryable?: { throttling?: boolean }; $metadata?: { httpStatusCode?: number } } | null;
  return meta?.$retryable?.throttling === true || meta?.$metadata?.httpStatusCode === 429;
}

/** Worth retrying as is: a 5xx from the service or a connection-level failure. */
export function isTransientError(err: unknown): boolean {
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string } | null;
  if (!e) return false;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError'].includes(e.code ?? awsErrorCode(err) ?? '');
}

export function isInstanceNotFound(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && NOT_FOUND_CODES.has(code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
