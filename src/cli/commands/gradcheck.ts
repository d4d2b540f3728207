/**
 * `exodus-snn gradcheck`: without arguments, a seeded random battery over the configuration grid with a
 * table of max relative differences (EXODUS vs BPTT, SLAYER vs BPTT for information), exit 1 when EXODUS
 * and BPTT disagree; with `--case FILE.json`, exactly one JSON object {exodus, bptt, slayer} on stdout.
 * `--device ref|wasm|webgpu` runs either on that backend (wasm and webgpu: float32 cases only).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError, UsageError } from "../../errors.js";
import type { BackendName } from "../../kernels/contract.js";
import { getBackendAsync } from "../../kernels/registry.js";
import { maxRelDiff, parseCase, runCaseOn, runEngine, runEngineAsync, type GradCase } from "../../experiments/gradcheck.js";
import { Rng } from "../../util/rng.js";
import { intFlag } from "../args.js";

const SURROGATES: GradCase["surrogate"][] = [
  { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
  { type: "PeriodicExponential", gradWidth: 0.5, gradScale: 1 },
  { type: "Heaviside", window: 1 },
  { type: "Gaussian", mu: 0, sigma: 0.5, gradScale: 1 },
  { type: "MultiGaussian", mu: 0, sigma: 0.5, h: 0.15, s: 6, gradScale: 1 },
];

export interface BatteryRow {
  name: string;
  dtype: string;
  exodusVsBptt: number;
  slayerVsBptt: number;
  spikes: number;
}

type Parsed = ReturnType<typeof parseCase>;

/**
 * The random battery: every surrogate × spike function × (α, θ, m, v0, minVMem) variants, both dtypes,
 * plus the zero reset (SingleSpike only) plain and with per-neuron constants and minVMem. θ is always
 * differentiated (dthreshold), with m = θ in the variants that give no membraneSubtract.
 */
export function battery(seed: number): BatteryRow[] {
  return batteryCases(seed).map(({ name, dtype, pc }) => row(name, dtype, runEngine(pc, "exodus"), runEngine(pc, "bptt"), runEngine(pc, "slayer")));
}

/** The battery on `device`: its float32 rows (wasm and webgpu compute in float32 only). */
export async function batteryOn(seed: number, device: BackendName): Promise<BatteryRow[]> {
  const out: BatteryRow[] = [];
  for (const { name, dtype, pc } of batteryCases(seed)) {
    if (device !== "ref" && dtype !== "float32") continue;
    out.push(row(name, dtype, await runEngineAsync(pc, "exodus", device), await runEngineAsync(pc, "bptt", device), await runEngineAsync(pc, "slayer", device)));
  }
  return out;
}

function row(name: string, dtype: string, ex: ReturnType<typeof runEngine>, bp: ReturnType<typeof runEngine>, sl: ReturnType<typeof runEngine>): BatteryRow {
  return { name, dtype, exodusVsBptt: maxRelDiff(ex, bp), slayerVsBptt: maxRelDiff(sl, bp), spikes: ex.spikes.flat().reduce((a, b) => a + b, 0) };
}

function batteryCases(seed: number): { name: string; dtype: string; pc: Parsed }[] {
  const rng = new Rng(seed);
  const casesOut: { name: string; dtype: string; pc: Parsed }[] = [];
  const N = 5;
  const T = 60;
  const spikeFns: [string, number | null][] = [["Multi", null], ["Single", 1], ["Max2", 2]];
  const variants = ["lif", "iaf", "perNeuron+minV", "m≠θ,v0≠0", "zero", "zero+perNeuron+minV,v0≠0"];
  for (const dtype of ["float64", "float32"] as const) {
    for (const sur of SURROGATES) {
      for (const [sfName, maxSpikes] of spikeFns) {
        for (const variant of variants) {
          const zero = variant.startsWith("zero");
          if (zero && maxSpikes !== 1) continue; // the zero reset is defined for SingleSpike only
          const perN = variant.includes("perNeuron+minV");
          const alpha = variant === "iaf" ? 1 : perN ? Array.from({ length: N }, () => rng.uniform(0.6, 0.99)) : rng.uniform(0.7, 0.98);
          const threshold = perN ? Array.from({ length: N }, () => rng.uniform(0.5, 1.5)) : 1;
          const c: GradCase = {
            dtype,
            alpha,
            threshold,
            membraneSubtract: variant === "m≠θ,v0≠0" ? 0.8 : undefined,
            reset: zero ? "zero" : "subtract",
            vInit: variant.includes("v0≠0") ? Array.from({ length: N }, () => rng.uniform(-0.5, 0.9)) : 0,
            minVMem: perN ? -0.4 : null,
            maxSpikes,
            surrogate: sur,
            x: Array.from({ length: N }, () => Array.from({ length: T }, () => rng.uniform(-0.6, 1.2))),
            gradSpikes: Array.from({ length: N }, () => Array.from({ length: T }, () => rng.normal())),
            gradV: Array.from({ length: N }, () => Array.from({ length: T }, () => 0.3 * rng.normal())),
          };
          casesOut.push({ name: `${sur.type}/${sfName}/${variant}`, dtype, pc: parseCase(c) });
        }
      }
    }
  }
  return casesOut;
}

export const TOLERANCE = { float64: 1e-9, float32: 1e-4 } as const;

export function register(program: Command): void {
  program
    .command("gradcheck")
    .description("check EXODUS gradients against BPTT (and SLAYER for information)")
    .option("--case <file>", "a JSON case file; prints {exodus, bptt, slayer} as one JSON object")
    .option("--seed <n>", "seed of the random battery", "1")
    .option("--device <name>", "backend to compute on: ref (float64 and float32), wasm or webgpu (float32 only)", "ref")
    .action(async (opts: { case?: string; seed: string; device: string }) => {
      const device = opts.device as BackendName;
      if (!["ref", "wasm", "webgpu"].includes(device)) throw new UsageError(`--device must be ref, wasm or webgpu, got '${opts.device}'`);
      try {
        await gradcheck(opts, device);
      } finally {
        // a started GPU device would keep the process alive
        if (device === "webgpu") (await getBackendAsync("webgpu").catch(() => null))?.dispose();
      }
    });
}

async function gradcheck(opts: { case?: string; seed: string }, device: BackendName): Promise<void> {
  if (opts.case) {
    let raw: unknown;
    let text: string;
    try {
      text = readFileSync(opts.case, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read case file '${opts.case}': ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`case file '${opts.case}' is not valid JSON: ${(e as Error).message}`);
    }
    process.stdout.write(JSON.stringify(await runCaseOn(raw, device)) + "\n");
    return;
  }
  const seed = intFlag("--seed", opts.seed);
  const rows = device === "ref" ? battery(seed) : await batteryOn(seed, device);
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`gradcheck battery (seed ${seed}, ${device} backend): max normwise relative difference of dL/dx, dL/dv0, dL/dα, dL/dθ`);
  console.log(`${"case".padEnd(w)}  dtype    spikes  EXODUS vs BPTT  SLAYER vs BPTT`);
  let fail = 0;
  for (const r of rows) {
    const ok = r.exodusVsBptt <= TOLERANCE[r.dtype as keyof typeof TOLERANCE];
    if (!ok) fail++;
    console.log(
      `${r.name.padEnd(w)}  ${r.dtype.padEnd(7)}  ${String(r.spikes).padStart(6)}  ${r.exodusVsBptt.toExponential(2).padStart(14)}${ok ? " " : "!"}  ${r.slayerVsBptt.toExponential(2).padStart(14)}`,
    );
  }
  console.log(`${rows.length - fail} passed, ${fail} failed (tolerance: float64 ${TOLERANCE.float64}, float32 ${TOLERANCE.float32})`);
  if (fail) process.exitCode = 1;
}
