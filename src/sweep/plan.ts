/**
 * Sweep plans: a JSON file naming a base config and axes (a grid, random draws, seeds), read, validated and
 * expanded here into trials with stable ids. Expansion is deterministic (random draws come from the plan's
 * own seed), so submitting the same plan twice yields the same ids and the queue adds only missing trials.
 *
 *   { "name": "toy-grid", "base": { "task": "toy", "model": "tiny", "epochs": 5, "lr": 0.02, "device": "ref" },
 *     "grid": { "gradient": ["exodus", "slayer"] },
 *     "random": { "draws": 2, "seed": 7, "axes": { "lr": { "logUniform": [0.005, 0.05] } } },
 *     "seeds": [1, 2, 3], "maxTrials": 100, "store": "runs/sweeps/toy-grid" }
 */
import { readFileSync } from "node:fs";
import { ConfigError, UsageError } from "../errors.js";
import { Rng } from "../util/rng.js";
import { trialId } from "./ids.js";
import { checkValue, isSpecKey, SPEC_KEYS, validateSpec, type TrialSpec } from "./spec.js";

export type Draw = { uniform: [number, number] } | { logUniform: [number, number] } | { choice: unknown[] };

export interface Plan {
  name: string;
  base: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  random: { draws: number; seed: number; axes: Record<string, Draw> } | null;
  seeds: number[] | null;
  maxTrials: number;
  /** Shared checkpoint directory (relative paths are taken from where `sweep` runs); null: the worker's default. */
  store: string | null;
}

export interface Trial {
  id: string;
  /** The axis values of this trial (grid keys, random keys, seed): the report's columns. */
  params: Record<string, unknown>;
  spec: TrialSpec;
}

const PLAN_KEYS = ["name", "base", "grid", "random", "seeds", "maxTrials", "store"] as const;
/** Above this a plan must say so (`maxTrials`), so a typo in an axis cannot flood the queue. */
export const DEFAULT_MAX_TRIALS = 1000;
export const HARD_MAX_TRIALS = 100_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function axisKey(k: string, where: string): void {
  if (!isSpecKey(k)) throw new ConfigError(`${where}: unknown key '${k}'; use one of ${Object.keys(SPEC_KEYS).join(", ")}`);
}

function parseDraw(k: string, d: unknown): Draw {
  const where = `plan: random.axes.${k}`;
  if (!isObject(d) || Object.keys(d).length !== 1) throw new ConfigError(`${where}: give exactly one of {"uniform": [lo, hi]}, {"logUniform": [lo, hi]}, {"choice": [...]}`);
  const [kind, arg] = Object.entries(d)[0]!;
  if (kind === "choice") {
    if (!Array.isArray(arg) || arg.length === 0) throw new ConfigError(`${where}: "choice" must be a non-empty array of values`);
    arg.forEach((v) => checkValue(k as keyof TrialSpec, v, where));
    return { choice: arg };
  }
  if (kind !== "uniform" && kind !== "logUniform") throw new ConfigError(`${where}: unknown draw '${kind}'; use uniform, logUniform or choice`);
  if (SPEC_KEYS[k as keyof TrialSpec].kind !== "num") throw new ConfigError(`${where}: '${k}' takes discrete values; draw it with {"choice": [...]}`);
  if (!Array.isArray(arg) || arg.length !== 2 || !arg.every((x) => typeof x === "number" && Number.isFinite(x)) || !(arg[0] < arg[1])) {
    throw new ConfigError(`${where}: "${kind}" needs [lo, hi] with lo < hi`);
  }
  if (kind === "logUniform" && !(arg[0] > 0)) throw new ConfigError(`${where}: "logUniform" needs lo > 0`);
  checkValue(k as keyof TrialSpec, arg[0], where);
  checkValue(k as keyof TrialSpec, arg[1], where);
  return kind === "uniform" ? { uniform: [arg[0], arg[1]] } : { logUniform: [arg[0], arg[1]] };
}

/** Validates a parsed plan object (unknown keys, empty axes, a key set twice, too many trials). */
export function parsePlan(raw: unknown): Plan {
  if (!isObject(raw)) throw new ConfigError("plan: the file must hold one JSON object with \"name\", \"base\" and axes");
  for (const k of Object.keys(raw)) if (!(PLAN_KEYS as readonly string[]).includes(k)) throw new ConfigError(`plan: unknown key '${k}'; a plan has ${PLAN_KEYS.join(", ")}`);
  const name = raw.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new ConfigError(`plan: 'name' must be 1–64 characters of letters, digits, '_', '.', '-', got ${JSON.stringify(name)}`);
  const base = raw.base ?? {};
  if (!isObject(base)) throw new ConfigError("plan: 'base' must be an object of training settings");
  for (const [k, v] of Object.entries(base)) {
    axisKey(k, "plan: base");
    checkValue(k as keyof TrialSpec, v, "plan: base");
  }
  const seen = new Set(Object.keys(base));
  const claim = (k: string, where: string) => {
    if (seen.has(k)) throw new ConfigError(`${where}: '${k}' is set more than once (base, grid, random or seeds); keep one`);
    seen.add(k);
  };
  const gridRaw = raw.grid ?? {};
  if (!isObject(gridRaw)) throw new ConfigError("plan: 'grid' must be an object of key → array of values");
  const grid: Record<string, unknown[]> = {};
  for (const [k, vs] of Object.entries(gridRaw)) {
    axisKey(k, "plan: grid");
    claim(k, "plan: grid");
    if (!Array.isArray(vs) || vs.length === 0) throw new ConfigError(`plan: grid.${k} is empty; give at least one value or remove the axis`);
    vs.forEach((v) => checkValue(k as keyof TrialSpec, v, `plan: grid.${k}`));
    grid[k] = vs;
  }
  let random: Plan["random"] = null;
  if (raw.random !== undefined) {
    const r = raw.random;
    if (!isObject(r)) throw new ConfigError("plan: 'random' must be {\"draws\": n, \"seed\": s, \"axes\": {...}}");
    for (const k of Object.keys(r)) if (!["draws", "seed", "axes"].includes(k)) throw new ConfigError(`plan: unknown key 'random.${k}'; use draws, seed, axes`);
    if (typeof r.draws !== "number" || !Number.isInteger(r.draws) || r.draws < 1) throw new ConfigError(`plan: random.draws must be an integer ≥ 1, got ${JSON.stringify(r.draws)}`);
    const seed = r.seed ?? 0;
    if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) throw new ConfigError(`plan: random.seed must be an integer ≥ 0, got ${JSON.stringify(seed)}`);
    if (!isObject(r.axes) || Object.keys(r.axes).length === 0) throw new ConfigError("plan: random.axes is empty; name at least one key to draw or remove 'random'");
    const axes: Record<string, Draw> = {};
    for (const [k, d] of Object.entries(r.axes)) {
      axisKey(k, "plan: random.axes");
      claim(k, "plan: random.axes");
      axes[k] = parseDraw(k, d);
    }
    random = { draws: r.draws, seed, axes };
  }
  let seeds: number[] | null = null;
  if (raw.seeds !== undefined) {
    claim("seed", "plan: seeds");
    if (!Array.isArray(raw.seeds) || raw.seeds.length === 0) throw new ConfigError("plan: 'seeds' is empty; give at least one seed or remove it");
    raw.seeds.forEach((v) => checkValue("seed", v, "plan: seeds"));
    seeds = raw.seeds as number[];
  }
  const maxTrials = raw.maxTrials ?? DEFAULT_MAX_TRIALS;
  if (typeof maxTrials !== "number" || !Number.isInteger(maxTrials) || maxTrials < 1 || maxTrials > HARD_MAX_TRIALS) {
    throw new ConfigError(`plan: 'maxTrials' must be an integer in 1..${HARD_MAX_TRIALS}, got ${JSON.stringify(maxTrials)}`);
  }
  const store = raw.store ?? null;
  if (store !== null && (typeof store !== "string" || store === "")) throw new ConfigError("plan: 'store' must be a directory path every worker can reach");
  const plan: Plan = { name, base, grid, random, seeds, maxTrials, store };
  const n = Object.values(grid).reduce((a, vs) => a * vs.length, 1) * (random?.draws ?? 1) * (seeds?.length ?? 1);
  if (n > maxTrials) throw new ConfigError(`plan: ${n} trials exceed maxTrials (${maxTrials}); shrink the axes ('grid', 'random.draws', 'seeds') or raise 'maxTrials'`);
  return plan;
}

export function readPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read plan ${path} (${(e as Error).message}); pass the path of a plan JSON file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`plan ${path} is not valid JSON (${(e as Error).message})`);
  }
  return parsePlan(raw);
}

function drawValue(d: Draw, rng: Rng): unknown {
  if ("choice" in d) return d.choice[rng.int(0, d.choice.length)];
  if ("uniform" in d) return rng.uniform(d.uniform[0], d.uniform[1]);
  const [lo, hi] = d.logUniform;
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

/** Every trial of the plan in a fixed order: grid (keys in file order, last varies fastest) × draws × seeds. */
export function expandPlan(plan: Plan): Trial[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [k, vs] of Object.entries(plan.grid)) combos = combos.flatMap((c) => vs.map((v) => ({ ...c, [k]: v })));
  if (plan.random) {
    const rng = new Rng(plan.random.seed);
    const draws = Array.from({ length: plan.random.draws }, () => Object.fromEntries(Object.entries(plan.random!.axes).map(([k, d]) => [k, drawValue(d, rng)])));
    combos = combos.flatMap((c) => draws.map((d) => ({ ...c, ...d })));
  }
  if (plan.seeds) combos = combos.flatMap((c) => plan.seeds!.map((s) => ({ ...c, seed: s })));
  const trials: Trial[] = [];
  const ids = new Set<string>();
  combos.forEach((params, i) => {
    const spec = validateSpec({ ...plan.base, ...params }, `plan: trial ${i + 1} (${JSON.stringify(params)})`);
    const id = trialId(plan.name, spec);
    // two draws of the same choice give the same trial: it runs once
    if (ids.has(id)) return;
    ids.add(id);
    trials.push({ id, params, spec });
  });
  return trials;
}
