/**
 * simgate's public entry point: what it takes to run `npm run bench` from code — the config, the
 * run with its reporters, the default renderer, policies — plus the env, the results schema and
 * the statistics. Everything else is internal.
 *
 *   import { loadConfig, runBench } from './src/index';
 *   const { config } = await loadConfig();
 *   const { status, results } = await runBench(config, { print: (s) => process.stdout.write(s) });
 */
// The run: config → episodes → reporters → status.
export { defineConfig, parseConfig, loadConfig, type BenchConfig, type BenchConfigInput } from './config/config';
export { runBench, checkBenchInputs, type BenchRun, type BenchStatus, type BenchOptions } from './runner/bench';
export { runPlan, type RunHooks, type RunOptions } from './runner/run';
export { DEFAULT_REPORTERS, tablesReporter, failuresReporter, htmlReporter, probesReporter, variantsReporter, gateReporter, leaderboardReporter, type Reporter, type ReportContext, type ReportFindings } from './report/reporters';
export { launchDefaultRenderer, launchRenderer, resolveRenderer, type ResolvedRenderer, type ViewRenderer } from './render/launch';
export { parseShard, shardEpisodes } from './runner/plan';
export { mergeResults } from './runner/merge';

// Results: the schema, and the one reader of results.json / episodes.jsonl / stored baselines.
export { RESULTS_SCHEMA_VERSION, type EpisodeRow, type Aggregate, type RunResults, type RunConfig, type Shard, type InferenceConfig, type SequentialRecord } from './results/schema';
export { readResults, readRows, type LoadedResults, type LoadedRows } from './results/read';
export { readJsonlRows } from './results/jsonl';

// Policies.
export { loadPolicy, specLabel } from './policy/load';
export { PolicySpec } from './policy/spec';
export { SCRIPTED } from './policy/scripted';
export type { Policy, PolicyInfo, ActResult } from './policy/types';

// Scenes and the env (Gymnasium-style).
export { Scene, Suite } from './scene/schema';
export { loadSuite, parseSuite, type LoadedSuite } from './scene/load';
export { generateScene } from './scene/generate';
export { NavEnv } from './sim/env';
export { VecNavEnv, type EnvOptions, type StepResult } from './sim/vec-env';
export { SimWorld, type Action, type ActionMode, type RobotPose } from './sim/world';
export { RobotProfile, DEFAULT_PROFILE, makeProfile } from './sim/profile';
export { makeEpisode, episodeId, suiteEpisodes, type EpisodeSpec } from './sim/episode';
export type { Observation } from './sim/observation';
export type { Renderer, CameraRequest } from './sim/camera';
export type { Frame } from './image/frame';

// Measures, statistics, comparisons, probes, variants.
export { computeMeasures, NAVIGATION_MEASURES, type Measure } from './measures';
export { aggregate } from './measures/aggregate';
export { wilson, mcnemarExact, newcombePaired, newcombeUnpaired, pairedMde, PairedSequentialTest, hierarchicalBootstrap, pairedHierarchicalBootstrap, type PairedTable, type DiffInterval } from './stats';
export { compareRows, pairRows, verdict, compareTable, type Comparison, type CompareGroup, type Verdict } from './compare';
export { PROBES, PROBE_NAMES, probeEpisodes, type Probe, type ProbeName } from './probes';
export { probeResults, type ProbeResult } from './probes/report';
export { variantsReport, type VariantsReport } from './report/variants';

export { SimgateError, ConfigError, EXIT } from './util/errors';
