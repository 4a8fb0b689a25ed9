import type { InputBlock, KnownBlock, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import type { FormResult } from '../kind.js';
import { budgetText, MAX_AMOUNT, perMinute, rateText, RATE_UNITS, RESETS, type AccessLimits, type RateUnit } from '../../portkey/limits.js';
import type { Subject } from '../../policy/decide.js';
import type { SummaryRow } from '../../operations/summary.js';
import { context, plain } from '../../slack/blocks.js';
import { readState, selectedValue, textValue } from '../../slack/state.js';

// The budget and rate limit blocks one form applies to every workspace it enables an integration in (the
// integration form's "enable in", the access request's workspace): their ids, view, reading and checking. Pure.
// Amounts are plain text inputs, so whatever was typed comes back on an error and is checked here, not by Slack.

export const LIMIT_FIELDS = {
  type: { block: 'lim_type', action: 'lim_type_select' },
  amount: { block: 'lim_amount', action: 'amount' },
  alert: { block: 'lim_alert', action: 'alert' },
  reset: { block: 'lim_reset', action: 'lim_reset_select' },
  rate: { block: 'lim_rate', action: 'rate' },
  rateUnit: { block: 'lim_rate_unit', action: 'lim_rate_unit_select' },
} as const;

/** The blocks' ids: LIMIT_FIELDS, or one set per item when a form has several budgets (the onboarding's integrations). */
export type LimitFieldIds = { readonly [K in keyof typeof LIMIT_FIELDS]: { readonly block: string; readonly action: string } };

/** LIMIT_FIELDS with every block id prefixed (the action ids stay: block ids alone tell the sets apart). */
export function limitFieldsWith(prefix: string): LimitFieldIds {
  const keys = Object.keys(LIMIT_FIELDS) as Array<keyof typeof LIMIT_FIELDS>;
  return Object.fromEntries(
    keys.map((k) => [k, { block: `${prefix}${LIMIT_FIELDS[k].block}`, action: LIMIT_FIELDS[k].action }]),
  ) as unknown as LimitFieldIds;
}

/** What was typed, as typed: stored with the request, so a restored form shows it again. */
export const limitsDraftSchema = z.object({
  type: z.enum(['cost', 'tokens']),
  amount: z.string(),
  alert: z.string(),
  reset: z.enum(RESETS),
  rate: z.string(),
  rateUnit: z.enum(RATE_UNITS),
});
export type LimitsDraft = z.infer<typeof limitsDraftSchema>;

export const EMPTY_LIMITS_DRAFT: LimitsDraft = { type: 'cost', amount: '', alert: '', reset: 'none', rate: '', rateUnit: 'rpm' };

const TYPE_LABELS = { cost: 'Cost (US dollars)', tokens: 'Tokens' } as const;
const RESET_LABELS = { none: 'Never (one budget for good)', weekly: 'Every week', monthly: 'Every month' } as const;
const UNIT_LABELS: Record<RateUnit, string> = { rpm: 'per minute', rph: 'per hour', rpd: 'per day' };

const opt = (value: string, text: string): PlainTextOption => ({ value, text: plain(text, 75) });

function select<T extends string>(blockId: string, actionId: string, label: string, labels: Record<T, string>, chosen: T): InputBlock {
  const options = (Object.keys(labels) as T[]).map((k) => opt(k, labels[k]));
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: plain(label),
    element: { type: 'static_select', action_id: actionId, options, initial_option: opt(chosen, labels[chosen]) },
  };
}

function text(blockId: string, actionId: string, label: string, value: string, hint: string, placeholder: string): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: plain(label),
    hint: plain(hint),
    element: {
      type: 'plain_text_input',
      action_id: actionId,
      max_length: 30,
      placeholder: plain(placeholder),
      ...(value ? { initial_value: value.slice(0, 30) } : {}),
    },
  };
}

/** The blocks, under a line saying what they apply to ("each workspace chosen above"). */
export function limitBlocks(d: LimitsDraft, appliesTo: string, f: LimitFieldIds = LIMIT_FIELDS): KnownBlock[] {
  return [
    context(`*Budget and rate limit* for ${appliesTo}: optional. Leave the amount blank for no budget.`),
    select(f.type.block, f.type.action, 'Budget in', TYPE_LABELS, d.type),
    text(f.amount.block, f.amount.action, 'Budget amount', d.amount, 'A whole number: dollars, or tokens.', 'e.g. 500'),
    text(
      f.alert.block,
      f.alert.action,
      'Alert at',
      d.alert,
      'Optional: Portkey alerts when usage reaches this (at most the budget).',
      'e.g. 400',
    ),
    select(f.reset.block, f.reset.action, 'Budget resets', RESET_LABELS, d.reset),
    text(f.rate.block, f.rate.action, 'Rate limit (requests)', d.rate, 'Optional: at most this many requests.', 'e.g. 1000'),
    select(f.rateUnit.block, f.rateUnit.action, 'Rate limit per', UNIT_LABELS, d.rateUnit),
  ];
}

const oneOf = <T extends string>(v: string | undefined, all: readonly T[], fallback: T): T =>
  (all as readonly string[]).includes(v ?? '') ? (v as T) : fallback;

export function readLimitsDraft(values: unknown, f: LimitFieldIds = LIMIT_FIELDS): LimitsDraft {
  const s = readState(values);
  return {
    type: oneOf(selectedValue(s, f.type.block, f.type.action), ['cost', 'tokens'], 'cost'),
    amount: textValue(s, f.amount.block, f.amount.action),
    alert: textValue(s, f.alert.block, f.alert.action),
    reset: oneOf(selectedValue(s, f.reset.block, f.reset.action), RESETS, 'none'),
    rate: textValue(s, f.rate.block, f.rate.action),
    rateUnit: oneOf(selectedValue(s, f.rateUnit.block, f.rateUnit.action), RATE_UNITS, 'rpm'),
  };
}

/** Digits, with "," "_" or spaces between thousands allowed: "1,000" is 1000. Undefined: not a whole number. */
function whole(typed: string): number | undefined {
  // Longer than the field allows (max_length 30): not typed into it.
  if (typed.length > 30) return undefined;
  const t = typed.trim().replace(/^\$/, '');
  if (!/^\d{1,3}([,_ ]?\d{3})*$/.test(t) && !/^\d+$/.test(t)) return undefined;
  const n = Number(t.replace(/[,_ ]/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

const amountError = (what: string) =>
  `Give ${what} as a whole number from 1 to ${MAX_AMOUNT.toLocaleString('en-US')} (no decimals, no minus sign).`;

/** Checks what was typed. `workspaces`: how many it would apply to (none: a budget typed anyway is an error). */
export function validateLimits(d: LimitsDraft, workspaces: number, f: LimitFieldIds = LIMIT_FIELDS): FormResult<AccessLimits> {
  const errors: Record<string, string> = {};
  const out: AccessLimits = {};
  const amount = d.amount.trim() === '' ? undefined : whole(d.amount);
  const alert = d.alert.trim() === '' ? undefined : whole(d.alert);
  if (d.amount.trim() !== '' && (amount === undefined || amount < 1 || amount > MAX_AMOUNT))
    errors[f.amount.block] = amountError('the budget');
  if (d.alert.trim() !== '') {
    if (alert === undefined || alert < 1 || alert > MAX_AMOUNT) errors[f.alert.block] = amountError('the alert');
    else if (d.amount.trim() === '') errors[f.alert.block] = 'An alert needs a budget: give the budget amount, or clear the alert.';
    else if (amount !== undefined && alert > amount) errors[f.alert.block] = 'The alert must be at most the budget amount.';
  }
  if (d.reset !== 'none' && d.amount.trim() === '')
    errors[f.reset.block] = 'A reset needs a budget: give the budget amount, or choose Never.';
  if (amount !== undefined && !errors[f.amount.block]) {
    out.budget = { type: d.type, amount, ...(alert !== undefined ? { alert } : {}), reset: d.reset };
  }
  if (d.rate.trim() !== '') {
    const rate = whole(d.rate);
    if (rate === undefined || rate < 1 || rate > MAX_AMOUNT) errors[f.rate.block] = amountError('the rate limit');
    else out.rate = { unit: d.rateUnit, value: rate };
  }
  if (workspaces === 0 && (out.budget || out.rate) && Object.keys(errors).length === 0) {
    errors[out.budget ? f.amount.block : f.rate.block] =
      'A budget or rate limit applies to the workspaces it is enabled in: choose them above, or clear these.';
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

/** What the policy sees of the limits. */
export function limitsSubject(l: AccessLimits): NonNullable<Subject['limits']> {
  return {
    budget: l.budget ? { type: l.budget.type, amount: l.budget.amount } : undefined,
    perMinute: l.rate ? perMinute(l.rate) : undefined,
  };
}

/**
 * Limits that no longer read (a stored request tampered with, or from another version): judged as none at all, so a
 * rule that requires a budget still holds. Such a request is refused when it runs anyway.
 */
export const UNREADABLE_LIMITS: NonNullable<Subject['limits']> = { budget: undefined, perMinute: undefined };

/** The approval card's and the audit's rows: the amounts as they will be sent, or that they don't read. */
export function limitRows(d: LimitsDraft, workspaces: number, where: string): SummaryRow[] {
  const checked = validateLimits(d, workspaces);
  if (!checked.ok) return [{ label: `Budget in ${where}`, value: 'unreadable (the request will be refused)' }];
  return [
    { label: `Budget in ${where}`, value: budgetText(checked.value) },
    { label: `Rate limit in ${where}`, value: rateText(checked.value) },
  ];
}
