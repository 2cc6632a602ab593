// Kubernetes resource quantities ("100m", "1.5Gi", "2e3") parsed to numbers, and each
// resource's canonical unit in joinery: cpu in millicores, memory, ephemeral-storage and
// hugepages in bytes, everything else (pods, nvidia.com/gpu, ...) a count.
//
// The one quantity parser of the project (the compiler validates policy values with it
// too). Hand-written rather than @kubernetes/client-node's quantityToScalar, which does
// not implement resource.Quantity's grammar: a decimal mantissa with a suffix throws
// ("1.5Gi" -> BigInt("1.5")), it returns a bigint for some suffixes and a number for
// others, and it lives in the client package. Here: sign, decimal mantissa, then one
// binary or decimal SI suffix or a decimal exponent; parseResourceQuantity rounds to the
// whole millicores and bytes the solver works in.

export class QuantityError extends Error {
  constructor(
    readonly quantity: string,
    detail: string,
  ) {
    super(`invalid quantity "${quantity}": ${detail} (expected e.g. "500m", "2", "1.5Gi", "128Mi", "1e3")`);
    this.name = 'QuantityError';
  }
}

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * Parses a Kubernetes quantity to its value in base units: "100m" is 0.1, "1Gi" is
 * 1073741824, "2" is 2. Use {@link parseResourceQuantity} for a resource's canonical unit.
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(String(q), 'not a finite number');
    return q;
  }
  const text = q.trim();
  const m = QUANTITY.exec(text);
  if (!m) throw new QuantityError(q, 'not a number with an optional SI, binary or exponent suffix');
  const mantissa = Number(m[1]);
  if (m[2] !== undefined) return mantissa * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined) throw new QuantityError(q, `unknown suffix "${suffix}"`);
  return mantissa * factor;
}

/** Like {@link parseQuantity}, but undefined instead of an error for a malformed quantity. */
export function tryParseQuantity(q: string | number): number | undefined {
  try {
    return parseQuantity(q);
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** Resources measured in bytes. */
export function isByteResource(resource: string): boolean {
  return resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-');
}

/**
 * Parses a quantity of `resource` to joinery's canonical unit: cpu in whole millicores
 * (rounded up, as the kubelet does), everything else as an integer rounded up.
 */
export function parseResourceQuantity(resource: string, q: string | number): number {
  const value = parseQuantity(q);
  // Rounding guards against binary floating point ("0.1" * 1000 = 100.00000000000001).
  if (resource === 'cpu') return Math.ceil(Math.round(value * 1e6) / 1e3);
  return Math.ceil(Math.round(value * 1e3) / 1e3);
}

/** Formats a canonical amount of `resource` for people: "1500m", "4Gi", "3". */
export function formatResourceQuantity(resource: string, amount: number): string {
  if (resource === 'cpu') {
    return amount % 1000 === 0 ? String(amount / 1000) : `${amount}m`;
  }
  if (isByteResource(resource)) {
    for (const [suffix, factor] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (amount >= factor && amount % factor === 0) return `${amount / factor}${suffix}`;
    }
    if (amount >= 2 ** 30) return `${(amount / 2 ** 30).toFixed(2)}Gi`;
    if (amount >= 2 ** 20) return `${(amount / 2 ** 20).toFixed(1)}Mi`;
    return String(amount);
  }
  return String(amount);
}
