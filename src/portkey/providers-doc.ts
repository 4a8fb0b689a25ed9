import { customHostField, isSecretField, PROVIDERS, type Provider, type ProviderField } from './providers.js';

// The README's provider table, made from the catalog so the docs can't drift from the code.

const fieldText = (f: ProviderField) => `\`${f.key}\`${f.required ? '' : '?'}${isSecretField(f) ? ' 🔒' : ''}`;

function extras(p: Provider): string {
  const parts: string[] = [];
  if (p.fields.length > 0) parts.push(p.fields.map(fieldText).join(', '));
  for (const mode of p.authModes ?? []) {
    const fields = mode.fields.map(fieldText).join(', ');
    parts.push(`${p.authField ?? 'mode'} \`${mode.id}\`${fields ? `: ${fields}` : ''}${mode.key === 'required' ? ' + key' : ''}`);
  }
  if (p.deployments)
    parts.push(
      `\`azure_deployment_config[]\` (${p.deployments.min}–${p.deployments.max}): ${p.deployments.fields.map(fieldText).join(', ')}`,
    );
  if (customHostField(p).required) parts.push('`custom_host` (required)');
  return parts.join('; ') || '—';
}

function keyText(p: Provider): string {
  const needs = p.authModes ? [...new Set(p.authModes.map((m) => m.key))] : [p.key];
  if (needs.length > 1) return 'by mode';
  return needs[0] === 'required' ? 'yes' : needs[0] === 'optional' ? 'optional' : 'no';
}

export function providersMarkdown(): string {
  const rows = [...PROVIDERS]
    .sort((a, b) => (a.group === b.group ? a.label.localeCompare(b.label) : a.group === 'popular' ? -1 : 1))
    .map((p) => `| ${p.label} | \`${p.id}\` | ${keyText(p)} | ${extras(p)} |`);
  return ['| Provider | `ai_provider_id` | key | extra fields (`?` optional, 🔒 secret) |', '|---|---|---|---|', ...rows].join('\n');
}
