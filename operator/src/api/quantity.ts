/** Kubernetes resource.Quantity to a number, for comparing storage sizes ("10Gi" > "5000M"). */
const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function quantityValue(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|([KMGTPE]i|[mkMGTPE])?)$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: ${q}`);
  return m[2] ? Number(m[1] + m[2]) : Number(m[1]) * SUFFIX[m[3] ?? '']!;
}
