/**
 * Stand-ins for the lab's policy servers and a camera, for closed-loop tests without a browser.
 *
 * FakeLabServer follows the behaviour of the lab's FastAPI servers (shared LAB.md §1b), on
 * 127.0.0.1: a window of past detections padded from the episode's first frame, a STOP latch that
 * holds until POST /reset, an optional X-API-Key (403 otherwise), GET /health without auth. It
 * "grounds" the gray basket by counting gray pixels in the decoded JPEG/PNG. Variants:
 *   v2       EdgeGroundVLA stage2_v2: action (2) + action_3d (3) + the metadata fields
 *   action2  the documented contract: action [lx, ly] only (turns by strafing)
 *   action3  the MoNaVLA server: a 3-number action
 *   chunk    the MoNa-pi server: image_b64 → actions (10 × 3), no /reset, no auth, stateless
 * It counts resets and requests, and the most requests it ever had in flight at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jpeg from 'jpeg-js';
import type { Frame } from '../../src/image/frame';
import { decodePng } from '../../src/image/png';
import type { CameraRequest, Renderer } from '../../src/sim/camera';
import { targetView } from '../../src/sim/task';

export type LabVariant = 'v2' | 'action2' | 'action3' | 'chunk';

export interface FakeLabOptions {
  variant: LabVariant;
  /** Require this X-API-Key on /predict and /reset (403 otherwise, echoing what was sent). */
  apiKey?: string;
  /** Echo the received key in every /predict answer (a careless server: tests redaction). */
  echoKey?: boolean;
  window?: number;
  /** ms of "compute" per /predict (widens the window in which overlapping requests would show). */
  computeMs?: number;
  /** ms the first /predict after start takes (cold grounding). */
  coldMs?: number;
}

const FWD = [1.15, 0, 0];
const STOP_AREA = 0.23;

export class FakeLabServer {
  url = '';
  resets = 0;
  predicts = 0;
  healthChecks = 0;
  maxInFlight = 0;
  /** Requests refused for a bad key. */
  refused = 0;
  private inFlight = 0;
  private server?: Server;
  private history: { cx: number; area: number; has: boolean }[] = [];
  private step = 0;
  private latched = false;
  private served = 0;

  constructor(readonly o: FakeLabOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const json = (status: number, v: unknown) => {
      this.inFlight--;
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(v));
    };
    let body = '';
    for await (const c of req) body += c;
    const path = req.url ?? '';
    if (req.method === 'GET' && path === '/health') {
      this.healthChecks++;
      return json(200, { status: 'ok', model_loaded: true, model_name: `fake-${this.o.variant}`, git_commit: 'abc1234', inference_count: this.served });
    }
    const chunk = this.o.variant === 'chunk';
    if (path === '/reset' && req.method === 'POST') {
      if (chunk) return json(404, { detail: 'Not Found' });
      if (!this.authorised(req)) return json(403, { detail: `Invalid API Key: ${String(req.headers['x-api-key'] ?? '')}` });
      this.resets++;
      this.history = [];
      this.step = 0;
      this.latched = false;
      return json(200, { status: 'success', message: 'buffer and STOP latch cleared' });
    }
    if (path !== '/predict' || req.method !== 'POST') return json(404, { detail: 'Not Found' });
    if (!chunk && !this.authorised(req)) return json(403, { detail: `Invalid API Key: ${String(req.headers['x-api-key'] ?? '')}` });
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return json(422, { detail: 'body is not JSON' });
    }
    const image = parsed[chunk ? 'image_b64' : 'image'];
    if (typeof image !== 'string' || typeof parsed.instruction !== 'string') return json(422, { detail: [{ loc: ['body', chunk ? 'image_b64' : 'image'], msg: 'field required' }] });
    const wait = this.served === 0 && this.o.coldMs ? this.o.coldMs : (this.o.computeMs ?? 1);
    this.served++;
    this.predicts++;
    await new Promise((r) => setTimeout(r, wait));
    const det = ground(decodeImage(Buffer.from(image, 'base64')));
    if (chunk) {
      // Stateless: the whole chunk from this frame alone.
      const a = det.has && det.area >= STOP_AREA ? [0, 0, 0] : steer(det.cx, det.has, true);
      return json(200, { actions: Array.from({ length: 10 }, () => a), latency_ms: 42 });
    }
    // Cold start: the first frame fills every window slot (stage2_v2's padding).
    if (!this.history.length) this.history = Array.from({ length: this.o.window ?? 6 }, () => det);
    else this.history = [...this.history.slice(1), det];
    const step = this.step++;
    const meanCx = this.history.reduce((s, h) => s + h.cx, 0) / this.history.length;
    // STOP latch: never before step 3, then held until /reset.
    if (!this.latched && step >= 3 && det.has && det.area >= STOP_AREA && Math.abs(det.cx - 0.5) <= 0.35) this.latched = true;
    const rotate = this.o.variant !== 'action2';
    const a3 = this.latched ? [0, 0, 0] : steer(meanCx, det.has, rotate);
    const label = this.latched ? 'STOP' : a3[2]! > 0 ? 'ROT_L' : a3[2]! < 0 ? 'ROT_R' : a3[1]! > 0 ? 'LEFT' : a3[1]! < 0 ? 'RIGHT' : 'FORWARD';
    const echo = this.o.echoKey ? { debug_headers: { 'x-api-key': String(req.headers['x-api-key'] ?? '') } } : {};
    if (this.o.variant === 'action2') return json(200, { action: a3.slice(0, 2), latency_ms: 7.5, ...echo });
    if (this.o.variant === 'action3') return json(200, { action: a3, latency_ms: 7.5, model_name: 'monavla', source: 'inferred', predicted_label: label, ...echo });
    return json(200, {
      action: a3.slice(0, 2),
      action_3d: a3,
      latency_ms: 7.5,
      model_name: 'stage2_v2',
      strategy: 'stage2_v2',
      source: 'inferred',
      buffer_status: { history_size: this.history.length, window: this.o.window ?? 6, head: 'mlp' },
      predicted_class: ['STOP', 'FORWARD', 'LEFT', 'RIGHT', 'ROT_L', 'ROT_R'].indexOf(label),
      predicted_label: label,
      bbox: det.has ? { has_bbox: true, cx: round(det.cx), cy: 0.6, area: round(det.area) } : null,
      goal_near_proxy: det.has && det.area >= 0.27 && Math.abs(det.cx - 0.5) <= 0.03125,
      stop_latched: this.latched,
      head_mode: typeof parsed.head_mode === 'string' ? parsed.head_mode : 'baseline',
      ...echo,
    });
  }

  private authorised(req: IncomingMessage): boolean {
    if (!this.o.apiKey) return true;
    const ok = req.headers['x-api-key'] === this.o.apiKey;
    if (!ok) this.refused++;
    return ok;
  }
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** Turn toward the basket (rotate, or strafe for a 2-number server), else forward; search by turning left. */
function steer(cx: number, has: boolean, rotate: boolean): number[] {
  if (!has) return rotate ? [0, 0, 0.25] : [0, 1.15, 0];
  if (cx < 0.42) return rotate ? [0, 0, 0.25] : [0, 1.15, 0];
  if (cx > 0.58) return rotate ? [0, 0, -0.25] : [0, -1.15, 0];
  return FWD;
}

function decodeImage(buf: Buffer): Frame {
  if (buf[0] === 0x89 && buf[1] === 0x50) return decodePng(buf);
  const img = jpeg.decode(buf, { useTArray: true });
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.data.length; i += 4, j += 3) {
    data[j] = img.data[i]!;
    data[j + 1] = img.data[i + 1]!;
    data[j + 2] = img.data[i + 2]!;
  }
  return { width: img.width, height: img.height, data };
}

/** The gray box: its centre x and area as fractions of the frame. */
function ground(f: Frame): { cx: number; area: number; has: boolean } {
  let n = 0;
  let sx = 0;
  for (let y = 0; y < f.height; y++)
    for (let x = 0; x < f.width; x++) {
      const i = (y * f.width + x) * 3;
      const r = f.data[i]!;
      const g = f.data[i + 1]!;
      const b = f.data[i + 2]!;
      if (Math.abs(r - g) < 30 && Math.abs(g - b) < 30 && r > 100 && r < 200) {
        n++;
        sx += x;
      }
    }
  const area = n / (f.width * f.height);
  return n < 4 ? { cx: 0.5, area: 0, has: false } : { cx: sx / n / f.width, area, has: true };
}

/**
 * A camera that draws the target as a flat gray box: centred at the target's cx in the view, its
 * side 0.3 / (gap + 0.15) of the frame (a quarter of the frame at the stop band's 0.45 m).
 */
export function boxCamera(): Renderer & { frames: number } {
  const cam = {
    frames: 0,
    async render(reqs: readonly CameraRequest[]): Promise<Frame[]> {
      cam.frames += reqs.length;
      return reqs.map(draw);
    },
    describe: () => ({ renderer: 'test box camera' }),
    async close() {},
  };
  return cam;
}

function draw(r: CameraRequest): Frame {
  const W = r.profile.camera.width;
  const H = r.profile.camera.height;
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) data.set([40, 100, 60], i * 3);
  const v = targetView(r.scene, r.profile, r.pose);
  if (v.cx !== null) {
    const s = Math.min(1, 0.3 / (v.gap + 0.15));
    const x0 = Math.max(0, Math.round(v.cx * W - (s * W) / 2));
    const x1 = Math.min(W, Math.round(v.cx * W + (s * W) / 2));
    const y0 = Math.max(0, Math.round(0.6 * H - (s * H) / 2));
    const y1 = Math.min(H, Math.round(0.6 * H + (s * H) / 2));
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.set([150, 150, 150], (y * W + x) * 3);
  }
  return { width: W, height: H, data };
}
