// Crafted submissions that try to walk around the policy with what decides where a key goes: option labels that
// hide another workspace, ids Portkey doesn't know, a secret reference pointed at the requester's own host.
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import type { FillValue } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { record } from '../support/payload.js';
import { filled, newUser, openModal, submitAccepted } from './flows.js';
import type { Tally } from './tally.js';

const KEY = 'sk-abuse-governance-0123456789';

/** The stored request of the operation `userId` submitted (each case has its own user). */
async function storedRequest(h: TestEnv, userId: string): Promise<Record<string, unknown>> {
  const row = (await peekSqlite(h.app.dataDir).rows('operations')).find((r) => r.requester_id === userId);
  if (!row) throw new Error(`no operation by ${userId}`);
  return record(JSON.parse(String(row.request_json)), 'request');
}

function ackOf(json: unknown): Record<string, unknown> {
  return record(json, 'submission ack');
}

export function governanceCases(h: TestEnv, tally: Tally): void {
  describe('crafted ids and labels (the policy decides on what Portkey holds)', () => {
    it('an "enable in" option labelled "Mallory sandbox" carrying the Production id is stored under Portkey\'s name', () =>
      tally.run('governance', 'neutralised', async () => {
        const prod = h.portkey.seedWorkspace({ name: 'Production', slug: 'production' });
        const userId = newUser();
        const view = await openModal(h, 'integration create openai', userId);
        await submitAccepted(
          h,
          filled(view, { int_name: 'Sandbox only', int_key__openai: KEY }, { int_access: [{ value: prod.id, text: 'Mallory sandbox' }] }),
          userId,
        );
        expect((await storedRequest(h, userId)).resolved).toEqual({ access: [{ id: prod.id, name: 'Production', slug: 'production' }] });
      }));

    it.each<{
      what: string;
      block: string;
      multi: Record<string, Array<{ value: string; text: string }>>;
      inputs: Record<string, FillValue>;
    }>([
      {
        what: 'an "enable in" workspace id Portkey does not know',
        block: 'int_access',
        multi: { int_access: [{ value: 'ws-forged-0001', text: 'Sandbox' }] },
        inputs: { int_key__openai: KEY },
      },
      {
        what: 'a secret reference id Portkey does not know',
        block: 'int_secretref__openai',
        multi: {},
        inputs: { int_secretref__openai: { value: 'sr-forged-0001', text: 'Team key' } },
      },
    ])('$what is refused on its picker; nothing is stored or created', (c) =>
      tally.run('governance', 'refused', async () => {
        const userId = newUser();
        const view = await openModal(h, 'integration create openai', userId);
        const before = (await peekSqlite(h.app.dataDir).rows('operations')).length;
        const ack = await h.app.driver.viewSubmission({ view: filled(view, { int_name: 'Forged', ...c.inputs }, c.multi), userId });
        const body = ackOf(ack.json);
        expect(body.response_action).toBe('errors');
        expect(Object.keys(record(body.errors, 'errors'))).toEqual([c.block]);
        expect((await peekSqlite(h.app.dataDir).rows('operations')).length).toBe(before);
        expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
      }),
    );

    // The gateway builds these providers' base URL from a plain text field: https://${snowflake_account}.snowflakecomputing.com
    // (Portkey-AI/gateway src/providers/cortex/api.ts). "collector.mallory.example/x?" makes that host Mallory's,
    // without any custom host for the policy to see.
    it.each<{ provider: string; field: string; value: string }>([
      { provider: 'cortex', field: 'int_f__cortex__snowflake_account', value: 'collector.mallory.example/x?' },
      { provider: 'cortex', field: 'int_f__cortex__snowflake_account', value: 'collector.mallory.example#' },
      { provider: 'cortex', field: 'int_f__cortex__snowflake_account', value: 'x@collector.mallory.example:443/' },
      { provider: 'byteplus', field: 'int_f__byteplus__byteplus_region', value: 'collector.mallory.example/' },
    ])("a $provider text field that builds the key's host ($value) is refused on its block", (c) =>
      tally.run('governance', 'refused', async () => {
        const userId = newUser();
        const view = await openModal(h, `integration create ${c.provider}`, userId);
        const ack = await h.app.driver.viewSubmission({
          view: filled(view, { int_name: 'Elsewhere', [`int_key__${c.provider}`]: KEY, [c.field]: c.value }),
          userId,
        });
        const body = ackOf(ack.json);
        expect(body.response_action, 'the submission was accepted').toBe('errors');
        expect(Object.keys(record(body.errors, 'errors'))).toEqual([c.field]);
        expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
      }),
    );

    it("the org's secret reference bound to the requester's own custom host is never created without approval", () =>
      tally.run('governance', 'refused', async () => {
        const ref = h.portkey.seedSecretReference({ name: 'Org production OpenAI', slug: 'org-prod' });
        const userId = newUser();
        const view = await openModal(h, 'integration create openai', userId);
        const ack = await h.app.driver.viewSubmission({
          view: filled(view, {
            int_name: 'Exfiltrate',
            int_custom_host: 'https://collector.mallory.example/v1',
            int_secretref__openai: { value: ref.id, text: ref.name },
          }),
          userId,
        });
        const shown = record(ackOf(ack.json).view, 'ack view');
        // The suite's policy names no admins, so there is nobody to approve: refused, naming the built-in rule.
        expect(JSON.stringify(shown.blocks)).toContain('secret-reference-to-custom-host');
        expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
      }));
  });
}
