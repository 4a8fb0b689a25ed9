// The provider catalog: ONE data description of every Portkey ai_provider_id the app offers.
// It drives the modal blocks, the zod validation and the `configurations` body (configurations.ts),
// and the masked summary. Adding a provider = adding one entry below.
// Field keys follow the official OpenAPI `*Configuration` schemas and docs
// (shared/reference/portkey-admin-api.md §3.3, §6) — never the MCP server's flat names.

import { distance } from 'fastest-levenshtein';

export type FieldKind = 'text' | 'secret' | 'select' | 'url' | 'json' | 'multiline';
export interface FieldChoice {
  value: string;
  label: string;
}
export interface ProviderField {
  key: string; // the configurations key sent to Portkey, e.g. 'aws_region'
  label: string; // ≤ 48 chars, shown as the input label
  kind: FieldKind; // 'secret' = masked everywhere, never echoed; 'json' = parsed to an object
  required: boolean;
  choices?: readonly FieldChoice[]; // for 'select' (≤ 100, label ≤ 75 chars, value ≤ 75)
  initial?: string; // default choice / value
  hint?: string; // ≤ 150 chars
  placeholder?: string; // ≤ 150 chars
  maxLength?: number;
  /** Treat as secret although the kind is not 'secret' (e.g. a 'json' key file). Use isSecretField(). */
  secret?: boolean;
  /** 'json' only: keys the parsed object must have — `true` = non-empty string, a string = that exact value. */
  jsonRequires?: Readonly<Record<string, string | true>>;
  /** 'json' only: what the object is, for error messages ("a Google service-account key"). */
  jsonName?: string;
  /** Value must match (after trimming); patternMessage says what is expected. */
  pattern?: RegExp;
  patternMessage?: string;
}
export type KeyNeed = 'required' | 'optional' | 'none';
export interface AuthMode {
  id: string;
  label: string;
  key: KeyNeed;
  fields: readonly ProviderField[];
}
export interface Provider {
  id: string; // ai_provider_id, e.g. 'bedrock'
  label: string; // 'AWS Bedrock'
  group: 'popular' | 'more';
  key: KeyNeed; // when there are no auth modes
  keyLabel?: string; // e.g. 'OpenAI API key'
  authField?: string; // configurations key carrying the mode: 'azure_auth_mode' | 'aws_auth_type' | 'vertex_auth_type'
  authModes?: readonly AuthMode[]; // first = default
  fields: readonly ProviderField[]; // fields for every mode (e.g. aws_region, azure_resource_name)
  deployments?: DeploymentSpec; // azure-openai only: azure_deployment_config[]
  customHost: 'optional' | 'required';
  docsHint?: string; // one short line shown under the provider select
  /** Extra names findProvider() accepts ('claude', 'gemini', 'aws'…). */
  aliases?: readonly string[];
}
/**
 * Rows of azure_deployment_config[]. `is_default` is not a field: the row at ProviderInput.defaultDeployment
 * (default 0) gets true, the others false.
 */
export interface DeploymentSpec {
  min: number;
  max: number;
  fields: readonly ProviderField[];
}
/** The configurations key carrying DeploymentSpec rows. */
export const DEPLOYMENTS_KEY = 'azure_deployment_config';

// ---------------------------------------------------------------------------------------------
// Field helpers (compact data below)

type FieldOpts = Partial<Omit<ProviderField, 'key' | 'label' | 'kind' | 'required'>>;
const field =
  (kind: FieldKind) =>
  (key: string, label: string, required: boolean, opts: FieldOpts = {}): ProviderField => ({ key, label, kind, required, ...opts });
const text = field('text');
const secret = field('secret');
const url = field('url');
const select = field('select');
const json = field('json');

const GUID = '00000000-0000-0000-0000-000000000000';

// AWS commercial regions (GovCloud/China need separate partitions Portkey's cloud does not reach).
const AWS_REGIONS: readonly FieldChoice[] = (
  [
    ['us-east-1', 'US East (N. Virginia)'],
    ['us-east-2', 'US East (Ohio)'],
    ['us-west-1', 'US West (N. California)'],
    ['us-west-2', 'US West (Oregon)'],
    ['af-south-1', 'Africa (Cape Town)'],
    ['ap-east-1', 'Asia Pacific (Hong Kong)'],
    ['ap-east-2', 'Asia Pacific (Taipei)'],
    ['ap-south-1', 'Asia Pacific (Mumbai)'],
    ['ap-south-2', 'Asia Pacific (Hyderabad)'],
    ['ap-southeast-1', 'Asia Pacific (Singapore)'],
    ['ap-southeast-2', 'Asia Pacific (Sydney)'],
    ['ap-southeast-3', 'Asia Pacific (Jakarta)'],
    ['ap-southeast-4', 'Asia Pacific (Melbourne)'],
    ['ap-southeast-5', 'Asia Pacific (Malaysia)'],
    ['ap-southeast-6', 'Asia Pacific (New Zealand)'],
    ['ap-southeast-7', 'Asia Pacific (Thailand)'],
    ['ap-northeast-1', 'Asia Pacific (Tokyo)'],
    ['ap-northeast-2', 'Asia Pacific (Seoul)'],
    ['ap-northeast-3', 'Asia Pacific (Osaka)'],
    ['ca-central-1', 'Canada (Central)'],
    ['ca-west-1', 'Canada West (Calgary)'],
    ['eu-central-1', 'Europe (Frankfurt)'],
    ['eu-central-2', 'Europe (Zurich)'],
    ['eu-west-1', 'Europe (Ireland)'],
    ['eu-west-2', 'Europe (London)'],
    ['eu-west-3', 'Europe (Paris)'],
    ['eu-south-1', 'Europe (Milan)'],
    ['eu-south-2', 'Europe (Spain)'],
    ['eu-north-1', 'Europe (Stockholm)'],
    ['il-central-1', 'Israel (Tel Aviv)'],
    ['me-south-1', 'Middle East (Bahrain)'],
    ['me-central-1', 'Middle East (UAE)'],
    ['mx-central-1', 'Mexico (Central)'],
    ['sa-east-1', 'South America (São Paulo)'],
  ] as const
).map(([value, name]) => ({ value, label: `${value} · ${name}` }));

// Vertex AI locations; 'global' is the global endpoint (no region prefix).
const GCP_REGIONS: readonly FieldChoice[] = (
  [
    ['global', 'Global endpoint'],
    ['us-central1', 'Iowa'],
    ['us-east1', 'South Carolina'],
    ['us-east4', 'N. Virginia'],
    ['us-east5', 'Columbus'],
    ['us-south1', 'Dallas'],
    ['us-west1', 'Oregon'],
    ['us-west2', 'Los Angeles'],
    ['us-west3', 'Salt Lake City'],
    ['us-west4', 'Las Vegas'],
    ['northamerica-northeast1', 'Montréal'],
    ['northamerica-northeast2', 'Toronto'],
    ['southamerica-east1', 'São Paulo'],
    ['southamerica-west1', 'Santiago'],
    ['europe-west1', 'Belgium'],
    ['europe-west2', 'London'],
    ['europe-west3', 'Frankfurt'],
    ['europe-west4', 'Netherlands'],
    ['europe-west6', 'Zurich'],
    ['europe-west8', 'Milan'],
    ['europe-west9', 'Paris'],
    ['europe-west10', 'Berlin'],
    ['europe-west12', 'Turin'],
    ['europe-central2', 'Warsaw'],
    ['europe-north1', 'Finland'],
    ['europe-southwest1', 'Madrid'],
    ['me-central1', 'Doha'],
    ['me-central2', 'Dammam'],
    ['me-west1', 'Tel Aviv'],
    ['asia-east1', 'Taiwan'],
    ['asia-east2', 'Hong Kong'],
    ['asia-northeast1', 'Tokyo'],
    ['asia-northeast2', 'Osaka'],
    ['asia-northeast3', 'Seoul'],
    ['asia-south1', 'Mumbai'],
    ['asia-southeast1', 'Singapore'],
    ['asia-southeast2', 'Jakarta'],
    ['australia-southeast1', 'Sydney'],
    ['australia-southeast2', 'Melbourne'],
    ['africa-south1', 'Johannesburg'],
  ] as const
).map(([value, name]) => ({ value, label: `${value} · ${name}` }));

const awsRegion = (required = true): ProviderField =>
  select('aws_region', 'AWS region', required, {
    choices: AWS_REGIONS,
    ...(required ? { initial: 'us-east-1' } : {}),
    hint: 'The region where your models are enabled.',
  });

// Azure auth modes, shared by azure-openai and azure-ai (azure_auth_mode). The OpenAPI spec's enum is
// default | entra | managed; `entraFederated` and `workload` are outside it but documented by Portkey:
// https://portkey.ai/docs/integrations/llms/azure-openai/authentication ("workload … (and entraFederated for Azure AI
// Foundry) requires Backend v1.16.0+"; self-hosted Enterprise gateways only). The fake's extract adds them (scripts/spec).
const ENTRA_TENANT = text('azure_entra_tenant_id', 'Entra tenant ID', true, { placeholder: GUID, maxLength: 100 });
const ENTRA_CLIENT = text('azure_entra_client_id', 'Entra application (client) ID', true, { placeholder: GUID, maxLength: 100 });
const AZURE_MODES: readonly AuthMode[] = [
  { id: 'default', label: 'API key', key: 'required', fields: [] },
  {
    id: 'entra',
    label: 'Entra ID app (client secret)',
    key: 'none',
    fields: [ENTRA_TENANT, ENTRA_CLIENT, secret('azure_entra_client_secret', 'Entra client secret', true)],
  },
  { id: 'entraFederated', label: 'Entra ID (federated credential)', key: 'none', fields: [ENTRA_TENANT, ENTRA_CLIENT] },
  {
    id: 'managed',
    label: 'Managed identity',
    key: 'none',
    fields: [
      text('azure_managed_client_id', 'Managed identity client ID', false, {
        placeholder: GUID,
        maxLength: 100,
        hint: 'Leave blank to use the system-assigned identity.',
      }),
    ],
  },
  {
    id: 'workload',
    label: 'Workload identity (Kubernetes)',
    key: 'none',
    fields: [
      text('azure_workload_tenant_id', 'Workload identity tenant ID', true, { placeholder: GUID, maxLength: 100 }),
      text('azure_workload_client_id', 'Workload identity client ID', true, { placeholder: GUID, maxLength: 100 }),
    ],
  },
];

// AWS credentials (aws_auth_type). The access key id is not a password but is treated as secret.
const AWS_ACCESS_KEY: AuthMode = {
  id: 'accessKey',
  label: 'Access key',
  key: 'none',
  fields: [
    secret('aws_access_key_id', 'AWS access key ID', true, {
      placeholder: 'AKIA…',
      maxLength: 128,
      pattern: /^[A-Z0-9]{16,128}$/,
      patternMessage: 'An access key ID is capital letters and digits, e.g. AKIA followed by 16 characters.',
    }),
    secret('aws_secret_access_key', 'AWS secret access key', true, { maxLength: 128 }),
  ],
};
const AWS_ROLE_ARN = text('aws_role_arn', 'IAM role ARN', true, {
  placeholder: 'arn:aws:iam::123456789012:role/PortkeyAccess',
  maxLength: 2048,
  pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/,
  patternMessage: 'Enter a role ARN like arn:aws:iam::123456789012:role/PortkeyAccess.',
  hint: "The role's trust policy must allow Portkey to assume it.",
});
const AWS_ASSUMED_ROLE: AuthMode = {
  id: 'assumedRole',
  label: 'Assume an IAM role',
  key: 'none',
  fields: [
    AWS_ROLE_ARN,
    text('aws_external_id', 'External ID', false, { maxLength: 1224, hint: 'Only if the trust policy requires an external ID.' }),
  ],
};
const AWS_MODES: readonly AuthMode[] = [AWS_ACCESS_KEY, AWS_ASSUMED_ROLE];

// SageMaker per-endpoint routing headers stored on the integration. Per-request ids
// (inference_id, session_id) and enable_explanations are left out on purpose.
const SAGEMAKER_FIELDS: readonly ProviderField[] = [
  text('amzn_sagemaker_target_model', 'Target model', false, { placeholder: 'model.tar.gz', hint: 'For multi-model endpoints.' }),
  text('amzn_sagemaker_target_variant', 'Target variant', false, { placeholder: 'AllTraffic' }),
  text('amzn_sagemaker_target_container_hostname', 'Target container hostname', false),
  text('amzn_sagemaker_inference_component', 'Inference component', false),
  text('amzn_sagemaker_model_name', 'Model name', false),
  text('amzn_sagemaker_custom_attributes', 'Custom attributes', false, { maxLength: 1024 }),
];

const GCP_SERVICE_ACCOUNT = json('vertex_service_account_json', 'Service account key (JSON)', true, {
  secret: true,
  maxLength: 3000, // Slack's plain_text_input cap; a key file is ~2.4 KB
  jsonName: 'a Google service-account key',
  jsonRequires: { type: 'service_account', project_id: true, private_key: true, client_email: true },
  placeholder: '{ "type": "service_account", "project_id": … }',
  hint: 'Paste the whole key file from Google Cloud (IAM › Service accounts › Keys).',
});
const VERTEX_PROJECT = text('vertex_project_id', 'Google Cloud project ID', true, {
  placeholder: 'my-gcp-project',
  maxLength: 100,
  pattern: /^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/, // optional legacy 'example.com:' prefix
  patternMessage: 'A project ID is 6–30 lowercase letters, digits or hyphens, e.g. my-gcp-project.',
});

// ---------------------------------------------------------------------------------------------
// Providers with their own configuration.

type Def = Omit<Provider, 'group' | 'key' | 'fields' | 'customHost'> & Partial<Pick<Provider, 'key' | 'fields' | 'customHost'>>;

const SPECIAL: readonly Def[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    aliases: ['gpt', 'chatgpt'],
    fields: [
      text('openai_organization', 'Organization ID', false, { placeholder: 'org-…', maxLength: 100 }),
      text('openai_project', 'Project ID', false, { placeholder: 'proj_…', maxLength: 100 }),
    ],
  },
  {
    id: 'azure-openai',
    label: 'Azure OpenAI',
    aliases: ['azure', 'aoai'],
    authField: 'azure_auth_mode',
    authModes: AZURE_MODES,
    fields: [
      text('azure_resource_name', 'Azure resource name', true, {
        placeholder: 'my-openai-resource',
        maxLength: 64,
        pattern: /^[A-Za-z0-9][A-Za-z0-9-]*$/,
        patternMessage: 'Enter only the resource name (my-openai-resource), not the full https://… endpoint.',
        hint: 'From https://<resource>.openai.azure.com',
      }),
    ],
    deployments: {
      min: 1,
      max: 5,
      fields: [
        text('azure_deployment_name', 'Deployment name', true, { placeholder: 'gpt-4o-prod', maxLength: 64 }),
        text('azure_api_version', 'API version', true, { placeholder: '2024-10-21', maxLength: 30 }),
        text('azure_model_slug', 'Model', true, { placeholder: 'gpt-4o', maxLength: 100, hint: 'The model behind this deployment.' }),
        text('alias', 'Alias', false, {
          placeholder: 'gpt-4o',
          maxLength: 100,
          hint: 'Optional model name clients can use for this deployment.',
        }),
      ],
    },
    docsHint: 'Needs your Azure resource name and at least one deployment.',
  },
  {
    id: 'azure-ai',
    label: 'Azure AI Foundry',
    aliases: ['foundry', 'azure ai'],
    authField: 'azure_auth_mode',
    authModes: AZURE_MODES,
    fields: [
      url('azure_foundry_url', 'Azure AI Foundry URL', true, {
        placeholder: 'https://my-resource.services.ai.azure.com/models',
        maxLength: 2048,
      }),
      text('azure_api_version', 'API version', false, { placeholder: '2024-05-01-preview', maxLength: 30 }),
      text('azure_deployment_name', 'Deployment name', false, { maxLength: 64 }),
    ],
  },
  {
    id: 'bedrock',
    label: 'AWS Bedrock',
    aliases: ['aws', 'amazon bedrock'],
    key: 'none',
    authField: 'aws_auth_type',
    authModes: AWS_MODES,
    fields: [awsRegion()],
    docsHint: 'Use an IAM role Portkey can assume, or an access key pair.',
  },
  {
    // OpenAI-compatible Bedrock endpoints; docs list the same AWS credentials as Bedrock.
    id: 'bedrock-mantle',
    label: 'AWS Bedrock Mantle',
    key: 'none',
    authField: 'aws_auth_type',
    authModes: AWS_MODES,
    fields: [awsRegion()],
  },
  {
    id: 'sagemaker',
    label: 'AWS SageMaker',
    aliases: ['amazon sagemaker'],
    key: 'none',
    authField: 'aws_auth_type',
    authModes: AWS_MODES,
    fields: [awsRegion(), ...SAGEMAKER_FIELDS],
  },
  {
    id: 'claude-platform-aws',
    label: 'Claude Platform on AWS',
    key: 'none',
    authField: 'aws_auth_type',
    // Not in the OpenAPI spec at all. Modes and fields from https://portkey.ai/docs/integrations/llms/claude-platform-aws
    // (aws_auth_type accessKey | assumedRole | serviceRole; region optional for the service role).
    authModes: [
      { ...AWS_ACCESS_KEY, fields: [awsRegion(), ...AWS_ACCESS_KEY.fields] },
      { ...AWS_ASSUMED_ROLE, fields: [awsRegion(), ...AWS_ASSUMED_ROLE.fields] },
      { id: 'serviceRole', label: "Service role (the gateway's own AWS role)", key: 'none', fields: [awsRegion(false)] },
    ],
    fields: [
      text('anthropic_aws_workspace_id', 'Anthropic workspace ID', true, {
        placeholder: 'wrkspc_01AbCdEf23GhIj',
        maxLength: 100,
        hint: 'From the Claude Platform console.',
      }),
    ],
  },
  {
    id: 'vertex-ai',
    label: 'Google Vertex AI',
    aliases: ['vertex', 'gcp', 'google cloud'],
    key: 'none',
    authField: 'vertex_auth_type',
    authModes: [
      // The spec's enum, in its order; basic = default. `workload` was offered once, but no Portkey documentation shows
      // vertex_auth_type workload (only a Terraform test did), so it is not sent.
      { id: 'basic', label: 'Project ID (basic)', key: 'none', fields: [VERTEX_PROJECT] },
      { id: 'serviceAccount', label: 'Service account key', key: 'none', fields: [GCP_SERVICE_ACCOUNT] },
    ],
    fields: [select('vertex_region', 'Vertex AI region', true, { choices: GCP_REGIONS, initial: 'us-central1' })],
    docsHint: 'Paste a service-account key, or use a project ID.',
  },
  {
    id: 'workers-ai',
    label: 'Cloudflare Workers AI',
    aliases: ['cloudflare', 'workers'],
    keyLabel: 'Cloudflare API token',
    fields: [
      text('workers_ai_account_id', 'Cloudflare account ID', true, {
        placeholder: '0123456789abcdef0123456789abcdef',
        maxLength: 64,
      }),
    ],
  },
  {
    id: 'cortex',
    label: 'Snowflake Cortex',
    aliases: ['snowflake'],
    keyLabel: 'Snowflake access token',
    // The gateway builds the host from it (https://<account>.snowflakecomputing.com): no '/', '?', '#', '@' or ':'.
    fields: [
      text('snowflake_account', 'Snowflake account identifier', true, {
        placeholder: 'myorg-myaccount',
        maxLength: 255,
        pattern: /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/,
        patternMessage: 'Enter only the account identifier (myorg-myaccount, or xy12345.us-east-2.aws), not a URL.',
      }),
    ],
  },
  {
    id: 'huggingface',
    label: 'Hugging Face',
    aliases: ['hf'],
    keyLabel: 'Hugging Face access token',
    fields: [
      url('huggingface_base_url', 'Base URL (Inference Endpoint)', false, {
        placeholder: 'https://xyz.us-east-1.aws.endpoints.huggingface.cloud',
        maxLength: 2048,
      }),
    ],
  },
  {
    id: 'byteplus',
    label: 'BytePlus ModelArk',
    // A region may end up in a host name: letters, digits and hyphens only.
    fields: [
      text('byteplus_region', 'BytePlus region', false, {
        placeholder: 'ap-southeast-1',
        maxLength: 64,
        pattern: /^[a-z0-9-]+$/,
        patternMessage: 'Enter a region like ap-southeast-1.',
      }),
    ],
  },
  // Self-hosted: the gateway has no default base URL for these, so custom_host is required.
  {
    id: 'ollama',
    label: 'Ollama',
    key: 'optional',
    customHost: 'required',
    docsHint: 'Self-hosted: needs the public https:// URL of your server.',
  },
  {
    id: 'triton',
    label: 'NVIDIA Triton',
    key: 'optional',
    customHost: 'required',
    docsHint: 'Self-hosted: needs the public https:// URL of your server.',
  },
  {
    id: 'milvus',
    label: 'Milvus',
    key: 'optional',
    customHost: 'required',
    docsHint: 'Needs the https:// URL of your Milvus / Zilliz cluster.',
  },
  { id: 'qdrant', label: 'Qdrant', key: 'optional', customHost: 'required', docsHint: 'Needs the https:// URL of your Qdrant cluster.' },
];

// Plain-key providers: [id, label, extra?]. Key required, custom host optional.
type Row = readonly [id: string, label: string, extra?: Partial<Def>];
const SIMPLE: readonly Row[] = [
  ['anthropic', 'Anthropic', { aliases: ['claude'] }],
  ['google', 'Google Gemini (AI Studio)', { aliases: ['gemini', 'google ai studio', 'ai studio'] }],
  ['mistral-ai', 'Mistral AI', { aliases: ['mistral'] }],
  ['groq', 'Groq'],
  ['cohere', 'Cohere'],
  ['x-ai', 'xAI (Grok)', { aliases: ['grok'] }],
  ['deepseek', 'DeepSeek'],
  ['together-ai', 'Together AI', { aliases: ['together'] }],
  ['openrouter', 'OpenRouter'],
  ['fireworks-ai', 'Fireworks AI', { aliases: ['fireworks'] }],
  ['perplexity-ai', 'Perplexity AI', { aliases: ['perplexity'] }],
  ['anyscale', 'Anyscale'],
  ['palm', 'Google PaLM'],
  ['reka-ai', 'Reka AI'],
  ['deepinfra', 'DeepInfra'],
  ['ncompass', 'nCompass'],
  ['stability-ai', 'Stability AI', { aliases: ['stability'] }],
  ['nomic', 'Nomic'],
  ['ai21', 'AI21 Labs'],
  ['segmind', 'Segmind'],
  ['jina', 'Jina AI'],
  ['moonshot', 'Moonshot AI (Kimi)', { aliases: ['kimi'] }],
  ['lingyi', 'Lingyi (01.AI)', { aliases: ['yi'] }],
  ['zhipu', 'Zhipu AI'],
  ['novita-ai', 'Novita AI'],
  ['monsterapi', 'MonsterAPI'],
  ['predibase', 'Predibase'],
  ['voyage', 'Voyage AI'],
  ['github', 'GitHub Models', { keyLabel: 'GitHub token' }],
  ['deepbricks', 'Deepbricks'],
  ['siliconflow', 'SiliconFlow'],
  ['cerebras', 'Cerebras'],
  ['inference-net', 'Inference.net'],
  ['sambanova', 'SambaNova'],
  ['lemonfox-ai', 'Lemonfox AI'],
  ['upstage', 'Upstage'],
  ['lambda', 'Lambda'],
  ['dashscope', 'Alibaba Cloud DashScope (Qwen)', { aliases: ['alibaba', 'qwen'] }],
  ['nebius', 'Nebius AI Studio'],
  ['recraft-ai', 'Recraft AI'],
  ['replicate', 'Replicate'],
  ['lepton', 'Lepton AI'],
  ['kluster-ai', 'kluster.ai'],
  ['nscale', 'Nscale'],
  ['hyperbolic', 'Hyperbolic'],
  ['bytez', 'Bytez'],
  ['featherless-ai', 'Featherless AI'],
  ['krutrim', 'Krutrim'],
  ['302ai', '302.AI'],
  ['cometapi', 'CometAPI'],
  ['matterai', 'MatterAI'],
  ['meshy', 'Meshy'],
  ['tripo3d', 'Tripo3D'],
  ['nextbit', 'Nextbit'],
  ['modal', 'Modal', { docsHint: 'Set the custom host to your Modal endpoint URL.' }],
  ['z-ai', 'Z.ai (GLM)', { aliases: ['glm'] }],
  // OCI signing settings are not in the public schema; the key may not be enough.
  [
    'oracle',
    'Oracle OCI Generative AI',
    { key: 'optional', docsHint: 'OCI settings beyond a key are not collected here; finish them in Portkey.' },
  ],
  ['iointelligence', 'IO Intelligence'],
  ['aibadgr', 'AI Badgr'],
  ['ovhcloud', 'OVHcloud AI Endpoints'],
  ['fal-ai', 'fal.ai', { aliases: ['fal'] }],
  // The workspace setting's configurations key is unverified; the custom host carries it instead.
  ['databricks', 'Databricks', { docsHint: 'Set the custom host to https://<workspace>.cloud.databricks.com/serving-endpoints' }],
];

/** Shown first in the provider select, in this order. */
const POPULAR: readonly string[] = [
  'openai',
  'anthropic',
  'azure-openai',
  'bedrock',
  'vertex-ai',
  'google',
  'mistral-ai',
  'groq',
  'cohere',
  'x-ai',
  'deepseek',
  'together-ai',
  'openrouter',
  'azure-ai',
  'fireworks-ai',
  'perplexity-ai',
];

function finish(d: Def): Provider {
  const key = d.key ?? 'required';
  const needsKey = d.authModes ? d.authModes.some((m) => m.key !== 'none') : key !== 'none';
  return {
    ...d,
    key,
    group: POPULAR.includes(d.id) ? 'popular' : 'more',
    fields: d.fields ?? [],
    customHost: d.customHost ?? 'optional',
    ...(needsKey ? { keyLabel: d.keyLabel ?? `${d.label} API key` } : {}),
  };
}

// One collator for the whole sort: localeCompare with options builds a new one per comparison (~10 ms at start-up).
const labelOrder = new Intl.Collator('en', { sensitivity: 'base' });
const byLabel = (a: Provider, b: Provider): number => labelOrder.compare(a.label, b.label);
const ALL: readonly Provider[] = [...SPECIAL.map(finish), ...SIMPLE.map(([id, label, extra]) => finish({ id, label, ...extra }))];

/** Every provider: popular ones in POPULAR order, then the rest alphabetically by label. */
export const PROVIDERS: readonly Provider[] = [
  ...POPULAR.map((id) => ALL.find((p) => p.id === id)).filter((p): p is Provider => p !== undefined),
  ...ALL.filter((p) => p.group === 'more').sort(byLabel),
];

const BY_ID = new Map(PROVIDERS.map((p) => [p.id, p]));

// ---------------------------------------------------------------------------------------------
// Lookups

export function getProvider(id: string): Provider | undefined {
  return BY_ID.get(id);
}

/** Lowercase, letters and digits only: 'AWS Bedrock' → 'awsbedrock', 'x-ai' → 'xai'. */
export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function names(p: Provider): string[] {
  return [p.id, p.label, ...(p.aliases ?? [])].map(normalizeName).filter((n) => n !== '');
}

/** Exact (normalized) id / label / alias match, else a unique prefix match (≥ 3 chars). */
export function findProvider(query: string): Provider | undefined {
  const q = normalizeName(query);
  if (q === '') return undefined;
  const exact = PROVIDERS.find((p) => names(p).includes(q));
  if (exact || q.length < 3) return exact;
  const prefixed = PROVIDERS.filter((p) => names(p).some((n) => n.startsWith(q)));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Closest providers for "did you mean …": by edit distance (a contained query scores 0.5), only close ones. */
export function suggestProviders(query: string, n = 3): Provider[] {
  const q = normalizeName(query);
  if (q === '') return [];
  const limit = Math.max(2, Math.ceil(q.length / 3));
  return PROVIDERS.map((p, order) => ({
    p,
    order,
    score: Math.min(...names(p).map((c) => (q.length >= 3 && c.includes(q) ? 0.5 : distance(q, c)))),
  }))
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.order - b.order)
    .slice(0, n)
    .map((s) => s.p);
}

/** The auth mode in effect: undefined when the provider has none; unknown/absent modeId → the first (default). */
export function authModeOf(provider: Provider, modeId?: string): AuthMode | undefined {
  const modes = provider.authModes;
  if (!modes || modes.length === 0) return undefined;
  return modes.find((m) => m.id === modeId) ?? modes[0];
}

/** Whether `key` is needed for this provider (and auth mode). */
export function keyNeed(provider: Provider, modeId?: string): KeyNeed {
  return authModeOf(provider, modeId)?.key ?? provider.key;
}

/** Provider fields then the auth mode's fields — the inputs to render, in order (deployments and custom host aside). */
export function fieldsFor(provider: Provider, modeId?: string): ProviderField[] {
  return [...provider.fields, ...(authModeOf(provider, modeId)?.fields ?? [])];
}

export function isSecretField(f: ProviderField): boolean {
  return f.kind === 'secret' || f.secret === true;
}

/**
 * A field a secret reference may stand in for, as Portkey's `secret_mappings[].target_field` names it: `key`, or
 * `configurations.<field>` for a secret field of the catalog (spec: SecretMapping.target_field, CreateIntegrationRequest
 * .secret_mappings — "Valid target_field values are "key" or "configurations.<field>" (e.g.
 * "configurations.aws_secret_access_key", "configurations.azure_entra_client_secret")").
 */
export interface SecretTarget {
  /** `key`, or `configurations.<field key>`. */
  target: string;
  /** The catalog field; undefined for `key`. */
  field: ProviderField | undefined;
  label: string;
  /** A 'json' field holds an object: the secret is parsed as JSON before it is applied (spec: SecretMapping.value_format). */
  valueFormat: 'json' | undefined;
}

export const KEY_TARGET = 'key';
export const configTarget = (fieldKey: string): string => `configurations.${fieldKey}`;

/** Every field of this provider and auth mode a secret reference may stand in for: the key (if any), then the secret fields. */
export function secretTargets(provider: Provider, modeId?: string): SecretTarget[] {
  const out: SecretTarget[] = [];
  if (keyNeed(provider, modeId) !== 'none') {
    out.push({ target: KEY_TARGET, field: undefined, label: provider.keyLabel ?? 'API key', valueFormat: undefined });
  }
  for (const f of fieldsFor(provider, modeId)) {
    if (!isSecretField(f)) continue;
    out.push({ target: configTarget(f.key), field: f, label: f.label, valueFormat: f.kind === 'json' ? 'json' : undefined });
  }
  return out;
}

/** The custom host input, sent as top-level `configurations.custom_host`. */
export function customHostField(provider: Provider): ProviderField {
  const required = provider.customHost === 'required';
  return url('custom_host', required ? 'Server URL (custom host)' : 'Custom host (optional)', required, {
    placeholder: 'https://llm.example.com/v1',
    maxLength: 2048,
    hint: required
      ? 'Public https:// URL Portkey can reach; private and local addresses are rejected.'
      : 'Only to route through your own proxy or endpoint. Must be a public https:// URL.',
  });
}

const OPTION_GROUP_SIZE = 100; // Slack: ≤ 100 options per option group

/** Option groups for a Slack static_select: "Popular" first, then the rest alphabetically in groups of ≤ 100. */
export function providerOptionGroups(): { label: string; options: FieldChoice[] }[] {
  const opt = (p: Provider): FieldChoice => ({ value: p.id, label: p.label.slice(0, 75) });
  const popular = PROVIDERS.filter((p) => p.group === 'popular').map(opt);
  const rest = PROVIDERS.filter((p) => p.group === 'more').map(opt);
  const groups = [{ label: 'Popular', options: popular }];
  const chunks = Math.ceil(rest.length / OPTION_GROUP_SIZE);
  for (let i = 0; i < chunks; i++) {
    const options = rest.slice(i * OPTION_GROUP_SIZE, (i + 1) * OPTION_GROUP_SIZE);
    groups.push({ label: chunks === 1 ? 'All other providers' : `All other providers (${i + 1}/${chunks})`, options });
  }
  return groups.filter((g) => g.options.length > 0);
}
