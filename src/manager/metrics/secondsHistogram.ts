import type { Metric, Registry } from 'prom-client';

/** One label value's observations: a count per bucket (not cumulative), their sum and their count. */
export interface Observations {
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** A sample as prom-client's metrics hand them to a registry (`metric.get()`). */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A Prometheus histogram by one label, kept in plain numbers and handed to the registry in prom-client's own shape
 * when it is scraped. prom-client's Histogram checks and hashes the label set at every observe, even through a
 * `labels()` child: the largest part of what the metrics cost a job. Here a job adds to the numbers of its label,
 * which the caller holds ({@link series}); the registry reads the same text and JSON as from prom-client's.
 */
export class SecondsHistogram {
  readonly type = 'histogram';
  /** How prom-client's cluster registry merges the workers' values. */
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #labelName: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Observations>();

  constructor(
    registry: Registry,
    {
      name,
      help,
      labelName,
      buckets,
    }: { name: string; help: string; labelName: string; buckets: readonly number[] },
  ) {
    this.name = name;
    this.help = help;
    this.#labelName = labelName;
    this.#bounds = buckets;
    // A registry takes any object with prom-client's metric shape (name, help, type, get, reset): this one has it.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The observations of `label`, made at its first use: the caller keeps them and calls {@link observe}. */
  series(label: string): Observations {
    let found = this.#series.get(label);
    if (found === undefined) {
      found = { buckets: this.#bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(label, found);
    }
    return found;
  }

  /** Adds `seconds` to `observations` (of this histogram): no lookup, no allocation. */
  observe(observations: Observations, seconds: number): void {
    const bounds = this.#bounds;
    let at = 0;
    while (at < bounds.length && seconds > bounds[at]!) at += 1;
    if (at < bounds.length) observations.buckets[at]! += 1;
    observations.sum += seconds;
    observations.count += 1;
  }

  /** The samples, as prom-client's Histogram gives them: cumulative buckets, `+Inf`, sum and count by label. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Sample[];
  }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const [label, { buckets, sum, count }] of this.#series) {
      if (count === 0) continue; // as prom-client: a label appears at its first observation, and goes at a reset
      let cumulative = 0;
      this.#bounds.forEach((le, at) => {
        cumulative += buckets[at]!;
        values.push({ metricName: bucket, labels: { le, [this.#labelName]: label }, value: cumulative });
      });
      values.push({ metricName: bucket, labels: { le: '+Inf', [this.#labelName]: label }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.#labelName]: label }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.#labelName]: label }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series (`registry.resetMetrics()`): the callers' {@link Observations} stay theirs. */
  reset(): void {
    for (const observations of this.#series.values()) {
      observations.buckets.fill(0);
      observations.sum = 0;
      observations.count = 0;
    }
  }
}
