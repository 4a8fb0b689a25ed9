#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decide } from '../policy/decide.js';
import { describeDecision, parseCases, readRequest, runCase } from '../policy/check.js';
import { approvalsChannelProblem, loadPolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';

// `npm run policy -- check|test …`: the policy the app would run, checked and asked without Slack or Portkey.
// Exit codes: 0 decided / every case passed, 1 a case failed, 2 the policy or the cases file is broken, 64 usage.

const USAGE = `usage:
  npm run policy -- check <policy.yml> --action <action> [--user U…] [--group S…]… [--channel C…]
                   [--provider <id>] [--custom-host <url>]… [--secret-reference <id>[=<name>]]…
                   [--workspace <id>[=<slug>]]… [--default-workspace] [--scope <scope>]… [--approvals-channel C…]
                   [--role member|manager|admin] [--people <n>] [--adds-self]   (member.add)
  npm run policy -- test <policy.yml> <cases.yml> [--approvals-channel C…]

check prints the decision and the rule for one request; test runs a file of expected decisions
(see policy.example.test.yml) and fails when any differs. APPROVALS_CHANNEL is read as the app reads it.`;

function fail(code: number, lines: string[]): never {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(code);
}

/** The policy file as the app would load it at start, or exit 2 saying what is wrong. */
function policyFrom(file: string, approvalsChannel: string | undefined): Policy {
  const r = loadPolicy(file);
  if (!r.ok) fail(2, [`${file}: the app would not start with this policy:`, ...r.problems.map((p) => `  - ${p}`)]);
  const noChannel = approvalsChannelProblem(r.loaded.policy, approvalsChannel);
  if (noChannel) fail(2, [`${file}: the app would not start with this policy: ${noChannel}`]);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  return r.loaded.policy;
}

/** `a=b` → [a, b]; `a` → [a, undefined]. */
function pair(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function check(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      action: { type: 'string' },
      user: { type: 'string' },
      group: { type: 'string', multiple: true },
      channel: { type: 'string' },
      provider: { type: 'string' },
      'custom-host': { type: 'string', multiple: true },
      'secret-reference': { type: 'string', multiple: true },
      workspace: { type: 'string', multiple: true },
      'default-workspace': { type: 'boolean' },
      scope: { type: 'string', multiple: true },
      'approvals-channel': { type: 'string' },
      role: { type: 'string' },
      people: { type: 'string' },
      'adds-self': { type: 'boolean' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1 || !values.action) fail(64, [USAGE]);
  const policy = policyFrom(file, values['approvals-channel'] ?? process.env.APPROVALS_CHANNEL);
  const refs = values['secret-reference']?.map(pair);
  const request = readRequest(
    { ...(values.user ? { user: values.user } : {}), groups: values.group ?? [], ...(values.channel ? { channel: values.channel } : {}) },
    {
      action: values.action,
      ...(values.provider ? { provider: values.provider } : {}),
      ...(values['custom-host'] ? { custom_hosts: values['custom-host'] } : {}),
      ...(refs ? { secret_reference: refs.map(([id, name]) => (name ? { id, name } : id)) } : {}),
      ...(values.workspace ? { workspaces: values.workspace.map(pair).map(([id, slug]) => (slug ? { id, slug } : { id })) } : {}),
      ...(values['default-workspace'] ? { default_workspace: true } : {}),
      ...(values.role ? { role: values.role } : {}),
      ...(values.people ? { people: Number(values.people) } : {}),
      ...(values['adds-self'] ? { adds_self: true } : {}),
      ...(values.scope ? { scopes: values.scope } : {}),
    },
  );
  if (!request.ok) fail(64, ['the request is not one the app could receive:', ...request.problems.map((p) => `  - ${p}`)]);
  const decision = decide(policy, request.subject, request.actor);
  process.stdout.write(`${describeDecision(policy, request.subject, request.actor, decision).join('\n')}\n`);
}

function test(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'approvals-channel': { type: 'string' } } });
  const [file, casesFile] = positionals;
  if (!file || !casesFile || positionals.length > 2) fail(64, [USAGE]);
  const policy = policyFrom(file, values['approvals-channel'] ?? process.env.APPROVALS_CHANNEL);
  let text: string;
  try {
    text = readFileSync(casesFile, 'utf8');
  } catch (err) {
    fail(2, [`${casesFile}: can't be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const parsed = parseCases(text);
  if (!parsed.ok) fail(2, [`${casesFile}: not a file of cases:`, ...parsed.problems.map((p) => `  - ${p}`)]);
  let failed = 0;
  for (const c of parsed.cases) {
    const r = runCase(policy, c);
    if (r.pass) {
      process.stdout.write(`ok    ${r.name}\n`);
    } else {
      failed += 1;
      process.stdout.write(`FAIL  ${r.name}\n${r.mismatches.map((m) => `        ${m}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`${parsed.cases.length - failed} passed, ${failed} failed\n`);
  if (failed > 0) process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'check') check(rest);
  else if (command === 'test') test(rest);
  else fail(64, [USAGE]);
} catch (err) {
  // parseArgs refuses unknown flags and missing values with a TypeError that says which.
  fail(64, [err instanceof Error ? err.message : String(err), '', USAGE]);
}
