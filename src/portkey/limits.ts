import { z } from 'zod';

// The usage limit (budget) and rate limit an integration gets in a workspace: the typed value the app decides on,
// and the `usage_limits` / `rate_limits` items of PUT /integrations/{slug}/workspaces (spec: UsageLimits,
// RateLimits; at most one of each per workspace). Pure.

export const BUDGET_TYPES = ['cost', 'tokens'] as const;
export const RESETS = ['none', 'weekly', 'monthly'] as const;
export const RATE_UNITS = ['rpm', 'rph', 'rpd'] as const;
export type BudgetType = (typeof BUDGET_TYPES)[number];
export type RateUnit = (typeof RATE_UNITS)[number];

/** The largest amount the app sends: far above any real budget, and exact as a JSON number. */
export const MAX_AMOUNT = 1_000_000_000_000;

export const accessLimitsSchema = z.object({
  budget: z
    .object({
      type: z.enum(BUDGET_TYPES),
      amount: z.number().int().min(1).max(MAX_AMOUNT),
      alert: z.number().int().min(1).max(MAX_AMOUNT).optional(),
      reset: z.enum(RESETS),
    })
    .optional(),
  rate: z.object({ unit: z.enum(RATE_UNITS), value: z.number().int().min(1).max(MAX_AMOUNT) }).optional(),
});
/** No `budget`: no usage limit; no `rate`: no rate limit. */
export type AccessLimits = z.infer<typeof accessLimitsSchema>;

export interface UsageLimitBody {
  type: BudgetType;
  credit_limit: number;
  alert_threshold?: number;
  periodic_reset?: 'weekly' | 'monthly';
}
export interface RateLimitBody {
  type: 'requests';
  unit: RateUnit;
  value: number;
}

export function usageLimitsBody(l: AccessLimits): UsageLimitBody[] | undefined {
  const b = l.budget;
  if (!b) return undefined;
  return [
    {
      type: b.type,
      credit_limit: b.amount,
      ...(b.alert !== undefined ? { alert_threshold: b.alert } : {}),
      ...(b.reset !== 'none' ? { periodic_reset: b.reset } : {}),
    },
  ];
}

export function rateLimitsBody(l: AccessLimits): RateLimitBody[] | undefined {
  return l.rate ? [{ type: 'requests', unit: l.rate.unit, value: l.rate.value }] : undefined;
}

const PER_MINUTE: Record<RateUnit, number> = { rpm: 1, rph: 60, rpd: 1440 };

/** A rate limit as requests per minute on average, for the policy's bound (a day's 14 400 is 10 a minute). */
export function perMinute(rate: { unit: RateUnit; value: number }): number {
  return rate.value / PER_MINUTE[rate.unit];
}

const UNIT_WORDS: Record<RateUnit, string> = { rpm: 'a minute', rph: 'an hour', rpd: 'a day' };

const number = (n: number) => n.toLocaleString('en-US');

/** "$100 of cost, reset monthly, alert at $80" / "no budget". */
export function budgetText(l: AccessLimits): string {
  const b = l.budget;
  if (!b) return 'no budget';
  const amount = (n: number) => (b.type === 'cost' ? `$${number(n)} of cost` : `${number(n)} tokens`);
  const alert = b.alert !== undefined ? `, alert at ${b.type === 'cost' ? `$${number(b.alert)}` : `${number(b.alert)} tokens`}` : '';
  return `${amount(b.amount)}, ${b.reset === 'none' ? 'never reset' : `reset ${b.reset}`}${alert}`;
}

/** "1,000 requests a minute", "60 requests an hour" / "no rate limit". */
export function rateText(l: AccessLimits): string {
  return l.rate ? `${number(l.rate.value)} requests ${UNIT_WORDS[l.rate.unit]}` : 'no rate limit';
}

/** What Portkey answers for a workspace's limits (GET /integrations/{slug}/workspaces), read as far as the app needs. */
const usageItem = z
  .object({
    type: z.string().nullish(),
    credit_limit: z.number().nullish(),
    alert_threshold: z.number().nullish(),
    periodic_reset: z.string().nullish(),
    periodic_reset_days: z.number().nullish(),
  })
  .loose();
const rateItem = z.object({ type: z.string().nullish(), unit: z.string().nullish(), value: z.number().nullish() }).loose();
export const heldLimitsSchema = z.object({
  usage_limits: z.array(usageItem).nullish(),
  rate_limits: z.array(rateItem).nullish(),
});

/**
 * The limits as Portkey holds them, or undefined when they aren't a shape this app sets (then they match nothing).
 * A usage limit without a type is a cost one (Portkey's default).
 */
export function heldLimits(entry: unknown): AccessLimits | undefined {
  const parsed = heldLimitsSchema.safeParse(entry);
  if (!parsed.success) return undefined;
  const u = parsed.data.usage_limits?.[0];
  const r = parsed.data.rate_limits?.[0];
  const limits = {
    ...(u
      ? {
          budget: {
            type: u.type ?? 'cost',
            amount: u.credit_limit,
            ...(u.alert_threshold != null ? { alert: u.alert_threshold } : {}),
            reset: u.periodic_reset ?? 'none',
          },
        }
      : {}),
    ...(r ? { rate: { unit: r.unit, value: r.value } } : {}),
  };
  // A reset every N days, or a tokens rate limit: shapes this app doesn't set, so never "the same" as what it sends.
  if (u?.periodic_reset_days != null || (r && r.type != null && r.type !== 'requests')) return undefined;
  const checked = accessLimitsSchema.safeParse(limits);
  return checked.success ? checked.data : undefined;
}

/** Whether Portkey holds exactly these limits (after a lost answer: was the change applied?). */
export function sameLimits(a: AccessLimits | undefined, b: AccessLimits): boolean {
  if (!a) return false;
  const ab = a.budget;
  const bb = b.budget;
  const budgets =
    ab === undefined || bb === undefined
      ? ab === bb
      : ab.type === bb.type && ab.amount === bb.amount && ab.alert === bb.alert && ab.reset === bb.reset;
  const rates =
    a.rate === undefined || b.rate === undefined ? a.rate === b.rate : a.rate.unit === b.rate.unit && a.rate.value === b.rate.value;
  return budgets && rates;
}
