import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlan } from '../src/runner/run';
import { parseConfig } from '../src/config/config';
import type { RunResults } from '../src/results/schema';
import { familyPlot, renderHtmlReport } from '../src/report/html';
import { writeHtmlReport } from '../src/report/write-html';
import { gifInfo } from '../src/replay/export';
import { parseSuite } from '../src/scene/load';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';
import { benchComparisons } from '../src/compare';
import { aggregate } from '../src/measures/aggregate';
import { summaryTable } from '../src/report/table';
import { variantsReport } from '../src/report/variants';
import { launchBrowser } from '../src/render/browser';
import { pathToFileURL } from 'node:url';

const base = smallSuite('report-test');
const suite = parseSuite({ schemaVersion: 1, suite: base.suite, version: base.version, scenes: base.scenes.slice(0, 3) }, 'report-test.json');
const dir = tempDir('simgate-report-');
const out = join(dir, 'out');
let results: RunResults;

beforeAll(async () => {
  const suiteFile = writeSuite(dir, suite, 'suite.json');
  results = await runPlan(parseConfig({ policies: ['oracle', 'straight', 'random'], suites: [suiteFile], episodesPerScene: 2, outputDir: out }, 'test'));
}, 120_000);

describe('report.html', () => {
  it('has the tables, a per-family plot with 95% intervals, and opens without a server', async () => {
    // No browser: clips fall back to the top-down drawn from the scene (fast, still a valid GIF).
    const r = await writeHtmlReport(out, results, { maxGifsPerPolicy: 2 });
    const html = readFileSync(r.file!, 'utf8');
    expect(html).toContain('Success per policy and split');
    expect(html).toMatch(/<svg class="plot"/);
    expect((html.match(/class="ci"/g) ?? []).length).toBeGreaterThan(3);
    // self-contained: no scripts or styles fetched from anywhere
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
    expect(html).not.toMatch(/https?:\/\//);
    // every image is a relative path that exists next to the report
    const imgs = [...html.matchAll(/<img[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    expect(imgs.length).toBeGreaterThan(0);
    for (const src of imgs) {
      expect(src.startsWith('failures/')).toBe(true);
      expect(existsSync(join(out, src))).toBe(true);
    }
    // the GIF cap: at most 2 clips per failing policy; the rest listed with their replay command
    const gifs = imgs.filter((s) => s.endsWith('.gif'));
    const failing = new Set(results.episodes.filter((e) => e.outcome !== 'success').map((e) => e.policy));
    expect(gifs.length).toBe(2 * failing.size);
    for (const g of gifs) expect(gifInfo(readFileSync(join(out, g))).frames).toBeGreaterThan(1);
    const nFailed = results.episodes.filter((e) => e.outcome !== 'success').length;
    expect((html.match(/npx simgate replay /g) ?? []).length).toBe(nFailed);
  }, 120_000);

  it('draws one bar per policy × (split, family)', () => {
    const svg = familyPlot(results);
    const groups = new Set(results.aggregates.filter((a) => !a.probe).map((a) => `${a.policy}|${a.split}|${a.family}`));
    expect((svg.match(/<rect /g) ?? []).length).toBe(groups.size);
  });

  it('escapes what it prints', () => {
    const evil = structuredClone(results);
    evil.episodes[0]!.sceneId = '<img src=x onerror=alert(1)>';
    evil.episodes[0]!.outcome = 'collision';
    const html = renderHtmlReport(evil);
    expect(html).not.toContain('<img src=x');
  });
});

describe('--save-frames', () => {
  it('writes every episode’s onboard frames as PNGs (successes too), one per step', async () => {
    const { spawnSync } = await import('node:child_process');
    const { readdirSync } = await import('node:fs');
    const { decodePng } = await import('../src/image/png');
    const one = parseSuite({ schemaVersion: 1, suite: 'frames', version: 1, scenes: base.scenes.slice(0, 1) }, 'frames.json');
    const d = tempDir('simgate-frames-');
    const file = writeSuite(d, one, 'suite.json');
    const o = join(d, 'out');
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'run', '--policy', 'oracle', '--suite', file, '--episodes-per-scene', '1', '--save-frames', '--no-report', '--quiet', '--out', o], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // --no-report means no report.html, frames or not (it used to be written anyway).
    expect(existsSync(join(o, 'report.html'))).toBe(false);
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8')) as RunResults;
    const row = res.episodes[0]!;
    expect(row.outcome).toBe('success');
    const frames = readdirSync(join(o, 'traces', 'oracle', row.episodeId)).filter((f) => f.endsWith('.png'));
    expect(frames.length).toBe((row.measures.steps as number) + 1);
    const png = decodePng(readFileSync(join(o, 'traces', 'oracle', row.episodeId, frames[0]!)));
    expect([png.width, png.height]).toEqual([224, 224]);
  }, 120_000);
});

describe('report.html leads with the answer', () => {
  it('shows the verdict (the terminal’s numbers) before any failure clip, in headless Chromium; candidates’ failures first, scripted baselines last and collapsed', async () => {
    const o = join(dir, 'lead');
    // The gate: random (the candidate) against oracle; straight is a scripted reference.
    const { comparisons } = benchComparisons(results, { kind: 'policy', name: 'oracle' }, 0.05, ['random']);
    const rep = await writeHtmlReport(o, results, { maxGifsPerPolicy: 1, findings: { comparisons, variants: variantsReport(results), probes: [] } });
    const html = readFileSync(rep.file!, 'utf8');
    expect(html).toContain('Verdict: REGRESSION — B is worse than A by more than 5.0 points with p &lt; 0.05 on: in-distribution');
    const host = await launchBrowser();
    try {
      const page = await host.browser.newPage();
      await page.goto(pathToFileURL(rep.file!).href, { waitUntil: 'load' });
      const got = await page.evaluate(() => {
        const verdict = document.querySelector('#verdict')!;
        const clips = Array.from(document.querySelectorAll('.fail img')) as HTMLImageElement[];
        // checkVisibility: false inside a closed <details> (its content is skipped, not laid out).
        const visible = clips.filter((img) => img.checkVisibility());
        const firstFailure = document.querySelector('h3[id^="fail-"]')!;
        const scripted = document.querySelector('details.scripted') as HTMLDetailsElement | null;
        return {
          verdictText: verdict.textContent ?? '',
          verdictTop: verdict.getBoundingClientRect().top,
          clipTop: visible.length ? visible[0]!.getBoundingClientRect().top : null,
          // DOM order: every clip comes after the verdict
          allAfter: clips.every((img) => verdict.compareDocumentPosition(img) & Node.DOCUMENT_POSITION_FOLLOWING),
          firstFailure: firstFailure.id,
          scriptedOpen: scripted?.open ?? null,
          scriptedHas: scripted ? Array.from(scripted.querySelectorAll('h3')).map((h) => h.id) : [],
          hiddenClips: clips.length - visible.length,
        };
      });
      expect(got.verdictText).toMatch(/REGRESSION/);
      expect(got.verdictText).toMatch(/random/);
      expect(got.clipTop).not.toBeNull();
      expect(got.verdictTop).toBeLessThan(got.clipTop!);
      expect(got.allAfter).toBe(true);
      expect(got.firstFailure).toBe('fail-random');
      expect(got.scriptedOpen).toBe(false);
      expect(got.scriptedHas).toEqual(['fail-straight']);
      expect(got.hiddenClips).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  }, 120_000);

  it('a split whose rows are all errors shows – (terminal and report.html), not 0% [0–100]', () => {
    const broken = structuredClone(results);
    for (const r of broken.episodes) if (r.policy === 'random') Object.assign(r, { outcome: 'policy_error', reason: 'policy_error: server down', measures: {} });
    broken.aggregates = aggregate(broken.episodes);
    const row = summaryTable(broken).split('\n').find((l) => l.includes('random'))!;
    expect(row).not.toMatch(/0% \[0–100\]/);
    expect(row).toMatch(/│ 0 +│ – +│/);
    const html = renderHtmlReport(broken);
    expect(html).not.toMatch(/0% <span class="dim">\[0–100\]/);
  });
});
