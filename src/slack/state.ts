import { z } from 'zod';

// A modal's `view.state.values`, read through zod so a malformed payload becomes "blank", never a crash.
const option = z.object({ value: z.string(), text: z.object({ text: z.string() }).loose().optional() }).loose();
const element = z
  .object({
    type: z.string().optional(),
    value: z.string().nullish(),
    selected_option: option.nullish(),
    selected_options: z.array(option).nullish(),
  })
  .loose();
const stateSchema = z.record(z.string(), z.record(z.string(), element));

export type StateValues = z.infer<typeof stateSchema>;

export function readState(values: unknown): StateValues {
  const parsed = stateSchema.safeParse(values);
  return parsed.success ? parsed.data : {};
}

export function textValue(values: StateValues, blockId: string, actionId: string): string {
  return values[blockId]?.[actionId]?.value ?? '';
}

export function selectedValue(values: StateValues, blockId: string, actionId: string): string | undefined {
  return values[blockId]?.[actionId]?.selected_option?.value ?? undefined;
}

export function selectedValues(values: StateValues, blockId: string, actionId: string): string[] {
  return (values[blockId]?.[actionId]?.selected_options ?? []).map((o) => o.value);
}

/** A selected option with the text Slack showed for it, so the choice can be shown again later. */
export interface Choice {
  value: string;
  label: string;
}

export function selectedChoice(values: StateValues, blockId: string, actionId: string): Choice | undefined {
  const o = values[blockId]?.[actionId]?.selected_option;
  return o ? { value: o.value, label: o.text?.text ?? o.value } : undefined;
}

export function selectedChoices(values: StateValues, blockId: string, actionId: string): Choice[] {
  return (values[blockId]?.[actionId]?.selected_options ?? []).map((o) => ({ value: o.value, label: o.text?.text ?? o.value }));
}
