import { z } from 'zod';
import { ChannelOrder } from '../image/channels';
import { ConfigError } from '../util/errors';

const positiveInt = z.number().int().positive();
const url = (schemes: string[], example: string) =>
  z
    .string()
    .url()
    .refine((u) => schemes.some((s) => u.toLowerCase().startsWith(`${s}://`)), `must be ${schemes[0] === 'http' ? 'an' : 'a'} ${schemes.map((s) => `${s}://`).join(' or ')} URL (e.g. ${example})`);
/** One server, or a pool of them (one episode per server at a time when they keep state). */
const pool = (one: z.ZodType<string>) => z.union([one, z.array(one).min(1)]);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable (e.g. VLA_API_KEY), not the key itself');
const sizeHW = z.tuple([positiveInt, positiveInt]);
const clamp = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, 'clamp must be [lo, hi] with lo < hi');
/** Execute the first k actions of each returned chunk before asking again (openpi's replan_steps). */
const chunk = z.strictObject({ execute: positiveInt });

const HTTP_URL = url(['http', 'https'], 'http://gpu-box:8001');
const WS_URL = url(['ws', 'wss'], 'ws://gpu-box:8000');

/**
 * The lab's FastAPI servers (shared LAB.md §1; EdgeGroundVLA's stage2_v2 server is the superset):
 * GET /health, POST /reset before every episode, POST /predict {image, instruction} →
 * action_3d | action | actions. Defaults follow the lab's client doc (MONAPI_INTEGRATION.md):
 * RGB JPEG at quality 85, a timeout of at least 5 s.
 */
export const RemotePolicySpec = z
  .strictObject({
    remote: pool(HTTP_URL),
    name: z.string().min(1),
    variant: z.string().default('remote'),
    /** Per request. */
    timeoutMs: positiveInt.default(5000),
    /** The first /predict each server gets: a cold server grounds its first frame (~30 s). */
    firstTimeoutMs: positiveInt.default(60_000),
    /** Extra attempts after a network error, timeout, HTTP 5xx or 429. */
    retries: z.number().int().min(0).default(1),
    backoffMs: z.number().int().min(0).optional(),
    /** Replace the first action of every episode by zeros (a server that does not do it itself). Not for stop tasks: zeros are a STOP. */
    instructionFirstActionZero: z.boolean().default(false),
    /** Request field that carries the base64 image (the MoNa-pi server reads `image_b64`). */
    imageField: z.string().min(1).default('image'),
    imageFormat: z.enum(['jpeg', 'png']).default('jpeg'),
    jpegQuality: z.number().int().min(1).max(100).default(85),
    /** Resize frames to [h, w] before encoding (default: the camera frame as it is, as the robot sends it). */
    imageSize: sizeHW.optional(),
    channelOrder: ChannelOrder.optional(),
    instructionField: z.string().min(1).default('instruction'),
    /** More request fields, sent as given (e.g. `{ head_mode: 'add' }`, `{ vlm_model: 'kosmos' }`). */
    extraFields: z.record(z.string(), z.unknown()).optional(),
    /** Environment variable holding the API key, sent as `X-API-Key` (never written anywhere). */
    apiKeyEnv: envName.optional(),
    /** The servers keep no per-episode state: no /reset, and concurrent requests are fine. */
    stateless: z.boolean().default(false),
    chunk: chunk.optional(),
    actionMode: z.enum(['pulse', 'velocity']).default('pulse'),
    /** Applied to every returned action: × scale, then clamp. */
    scale: z.number().default(1),
    clamp: clamp.default([-1, 1]),
    budgetMs: z.number().positive().optional(),
  })
  .refine((s) => !s.extraFields || (!(s.imageField in s.extraFields) && !(s.instructionField in s.extraFields)), {
    message: 'extraFields must not set the image or instruction field',
    path: ['extraFields'],
  });
export type RemotePolicySpec = z.infer<typeof RemotePolicySpec>;

/**
 * An openpi policy server (Physical-Intelligence/openpi `websocket_policy_server.py`): websocket +
 * msgpack with numpy arrays, observation dict in, `actions` (horizon × dims) out.
 */
export const OpenpiPolicySpec = z.strictObject({
  openpi: pool(WS_URL),
  name: z.string().min(1),
  variant: z.string().default('openpi'),
  timeoutMs: positiveInt.default(10_000),
  /** The first inference on each server (openpi compiles the model on its first call). */
  firstTimeoutMs: positiveInt.default(120_000),
  /** Extra attempts (on a fresh connection) after a network error or timeout; a server error is not retried. */
  retries: z.number().int().min(0).default(1),
  /** Observation keys that get the camera frame, uint8 (H, W, 3) (openpi's LIBERO example: observation/image). */
  imageKeys: z.array(z.string().min(1)).min(1).default(['observation/image']),
  /** Keys that get a black frame of the same size (a camera the robot does not have, e.g. observation/wrist_image). */
  blankImageKeys: z.array(z.string().min(1)).default([]),
  imageSize: sizeHW.optional(),
  channelOrder: ChannelOrder.optional(),
  /** Key of the instruction (a str); null to send none. */
  promptKey: z.string().min(1).nullable().default('prompt'),
  /** A float32 state vector of zeros (the simulated robot exposes no proprioception to policies). */
  state: z.strictObject({ key: z.string().min(1), dims: positiveInt }).optional(),
  /** More observation entries, sent as given. */
  extra: z.record(z.string(), z.unknown()).optional(),
  /** Reply key of the action chunk. */
  actionsKey: z.string().min(1).default('actions'),
  /** Keep the first n numbers of each action (a policy with a wider action space); default: all, which must be 2 or 3. */
  actionDims: z.union([z.literal(2), z.literal(3)]).optional(),
  chunk: chunk.optional(),
  /** Environment variable holding a key sent as `Authorization: Api-Key <key>`. */
  apiKeyEnv: envName.optional(),
  /** openpi servers keep no episode state (default): several episodes may share a server. false: one episode per server. */
  stateless: z.boolean().default(true),
  actionMode: z.enum(['pulse', 'velocity']).default('pulse'),
  scale: z.number().default(1),
  clamp: clamp.default([-1, 1]),
  budgetMs: z.number().positive().optional(),
});
export type OpenpiPolicySpec = z.infer<typeof OpenpiPolicySpec>;

const ObjectSpec = z.union([z.strictObject({ manifest: z.string().min(1), name: z.string().optional() }), RemotePolicySpec, OpenpiPolicySpec]);

/**
 * A policy to run: a scripted baseline's name, a policy folder/manifest, a lab server
 * ({ remote }), an openpi server ({ openpi }) — or, as a string (`--policy`), a server URL
 * (http:// → remote, ws:// → openpi) or one of these objects as JSON.
 */
export const PolicySpec = z
  .union([z.string().min(1), ObjectSpec])
  // Strings that name a server are checked here, so a bad `--policy` fails with the config's
  // own message (a refinement on the union's result: inside a union branch zod would only say
  // "Invalid input").
  .superRefine((spec, ctx) => {
    if (typeof spec !== 'string' || !isServerString(spec)) return;
    const r = parseServerString(spec);
    if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
  });
export type PolicySpec = z.infer<typeof PolicySpec>;
export type ResolvedPolicySpec = Exclude<PolicySpec, string> | string;

const isServerString = (s: string) => /^\s*\{/.test(s) || /^(https?|wss?):\/\//i.test(s.trim());

/** "http://gpu-box:8001/" → "gpu-box:8001" (a URL given alone names the policy by its server). */
export function nameFromUrl(u: string): string {
  try {
    const x = new URL(u);
    return `${x.host}${x.pathname.replace(/\/+$/, '')}`;
  } catch {
    return u;
  }
}

function parseServerString(s: string): { spec: Exclude<PolicySpec, string> } | { error: string } {
  const t = s.trim();
  let raw: unknown;
  if (t.startsWith('{')) {
    try {
      raw = JSON.parse(t);
    } catch (e) {
      return { error: `not valid JSON: ${(e as Error).message}` };
    }
  } else if (/^https?:\/\//i.test(t)) raw = { remote: t, name: nameFromUrl(t) };
  else raw = { openpi: t, name: nameFromUrl(t) };
  const r = ObjectSpec.safeParse(raw);
  if (r.success) return { spec: r.data };
  // Say which kind was meant, with that kind's own field errors.
  const kind = raw && typeof raw === 'object' ? ('remote' in raw ? RemotePolicySpec : 'openpi' in raw ? OpenpiPolicySpec : 'manifest' in raw ? undefined : null) : null;
  if (kind === null) return { error: 'a JSON policy must have "remote" (a lab server), "openpi" (an openpi server) or "manifest"' };
  const issues = kind ? (kind.safeParse(raw).error?.issues ?? r.error.issues) : r.error.issues;
  return { error: issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ') };
}

/**
 * A spec as the loader takes it: server URLs and JSON strings become their object form; scripted
 * names and manifest paths stay strings. A bad server string is a ConfigError (exit 2).
 */
export function resolvePolicySpec(spec: PolicySpec): ResolvedPolicySpec {
  if (typeof spec !== 'string' || !isServerString(spec)) return spec;
  const r = parseServerString(spec);
  if ('error' in r) throw new ConfigError(`policy ${JSON.stringify(spec.length > 200 ? `${spec.slice(0, 200)}…` : spec)}: ${r.error}`, 'See README "Policies": a URL (http:// for the lab\'s server, ws:// for openpi) or a JSON spec.');
  return r.spec;
}
