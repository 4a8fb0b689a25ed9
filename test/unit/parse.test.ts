import { describe, expect, it } from 'vitest';
import { COMMANDS, parseCommand, type Command } from '../../src/commands/parse.js';
import { KINDS } from '../../src/resources/index.js';

describe('parseCommand', () => {
  it.each<[string, Command]>([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  HELP ', { kind: 'help' }],
    ['help me please', { kind: 'help' }],
    ['?', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['-h', { kind: 'help' }],
  ])('%j → help', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each<[string, Command]>([
    ['workspace create', { kind: 'create', action: 'workspace.create', argument: '' }],
    ['workspace create Data Science', { kind: 'create', action: 'workspace.create', argument: 'Data Science' }],
    ['  Workspace   CREATE   Data   Science  ', { kind: 'create', action: 'workspace.create', argument: 'Data Science' }],
    ['ws new x', { kind: 'create', action: 'workspace.create', argument: 'x' }],
    ['ws create', { kind: 'create', action: 'workspace.create', argument: '' }],
    ['workspace add Team A', { kind: 'create', action: 'workspace.create', argument: 'Team A' }],
    ['create workspace y', { kind: 'create', action: 'workspace.create', argument: 'y' }],
    ['create ws Team <!channel>', { kind: 'create', action: 'workspace.create', argument: 'Team <!channel>' }],
  ])('%j → workspace.create', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it('keeps the case of the name', () => {
    expect(parseCommand('workspace create ML Ops')).toEqual({ kind: 'create', action: 'workspace.create', argument: 'ML Ops' });
  });

  it.each<[string, Command]>([
    ['wrkspace create', { kind: 'unknown', input: 'wrkspace create', suggestion: 'workspace create' }],
    ['workspce', { kind: 'unknown', input: 'workspce', suggestion: 'workspace create' }],
    ['workspace', { kind: 'unknown', input: 'workspace', suggestion: 'workspace create' }],
    ['workspace list', { kind: 'unknown', input: 'workspace list', suggestion: 'workspace create' }],
    ['hlep', { kind: 'unknown', input: 'hlep', suggestion: 'help' }],
    ['frobnicate', { kind: 'unknown', input: 'frobnicate', suggestion: undefined }],
    ['frobnicate the widgets now', { kind: 'unknown', input: 'frobnicate the', suggestion: undefined }],
  ])('%j → unknown', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it('suggests only phrases that help lists', () => {
    const usages = COMMANDS.map((c) => c.usage.replace(/ \[.*\]$/, ''));
    for (const text of ['wrkspace create', 'hlep', 'workspace', 'halp']) {
      const c = parseCommand(text);
      expect(c.kind).toBe('unknown');
      if (c.kind === 'unknown' && c.suggestion !== undefined) expect(usages).toContain(c.suggestion);
    }
  });
});

describe('parseCommand: lists, from the registry', () => {
  it.each<[string, Command]>([
    ['workspaces', { kind: 'list', listing: 'workspaces', filter: '' }],
    ['Workspaces  prod  eu', { kind: 'list', listing: 'workspaces', filter: 'prod eu' }],
    ['integrations openai', { kind: 'list', listing: 'integrations', filter: 'openai' }],
    ['providers', { kind: 'list', listing: 'integrations', filter: '' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it("help lists each kind's list phrase, as the kind words it", () => {
    for (const k of KINDS) {
      if (!k.list) continue;
      expect(COMMANDS).toContainEqual({ usage: k.list.usage, about: k.list.about });
      for (const word of k.list.words) expect(parseCommand(word)).toEqual({ kind: 'list', listing: k.list.listing, filter: '' });
    }
  });
});

describe('parseCommand: audit', () => {
  it('reads an optional count, capped at 50, defaulting to 20', () => {
    expect(parseCommand('audit')).toEqual({ kind: 'audit', count: 20 });
    expect(parseCommand('audit 5')).toEqual({ kind: 'audit', count: 5 });
    expect(parseCommand('audit 500')).toEqual({ kind: 'audit', count: 50 });
    expect(parseCommand('audit lots')).toEqual({ kind: 'audit', count: 20 });
  });
});
