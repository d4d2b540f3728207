/**
 * `exodus-snn gradcheck`: without arguments, a seeded random battery over the configuration grid with a
 * table of max relative differences (EXODUS vs BPTT, SLAYER vs BPTT for information), exit 1 when EXODUS
 * and BPTT disagree; with `--case FILE.json`, exactly one JSON object {exodus, bptt, slayer} on stdout.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError, UsageError } from "../../errors.js";
import { maxRelDiff, parseCase, runCase, runEngine, type GradCase } from "../../neurons/gradcheck.js";
import { Rng } from "../../util/rng.js";

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

/**
 * The random battery: every surrogate × spike function × (α, θ, m, v0, minVMem) variants, both dtypes,
 * plus the zero reset (SingleSpike only) plain and with per-neuron constants and minVMem. θ is always
 * differentiated (dthreshold), with m = θ in the variants that give no membraneSubtract.
 */
export function battery(seed: number): BatteryRow[] {
  const rng = new Rng(seed);
  const rowsOut: BatteryRow[] = [];
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
          const pc = parseCase(c);
          const ex = runEngine(pc, "exodus");
          const bp = runEngine(pc, "bptt");
          const sl = runEngine(pc, "slayer");
          rowsOut.push({
            name: `${sur.type}/${sfName}/${variant}`,
            dtype,
            exodusVsBptt: maxRelDiff(ex, bp),
            slayerVsBptt: maxRelDiff(sl, bp),
            spikes: ex.spikes.flat().reduce((a, b) => a + b, 0),
          });
        }
      }
    }
  }
  return rowsOut;
}

export const TOLERANCE = { float64: 1e-9, float32: 1e-4 } as const;

export function register(program: Command): void {
  program
    .command("gradcheck")
    .description("check EXODUS gradients against BPTT (and SLAYER for information)")
    .option("--case <file>", "a JSON case file; prints {exodus, bptt, slayer} as one JSON object")
    .option("--seed <n>", "seed of the random battery", "1")
    .action((opts: { case?: string; seed: string }) => {
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
        process.stdout.write(JSON.stringify(runCase(raw)) + "\n");
        return;
      }
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${opts.seed}'`);
      const rows = battery(seed);
      const w = Math.max(...rows.map((r) => r.name.length));
      console.log(`gradcheck battery (seed ${seed}): max normwise relative difference of dL/dx, dL/dv0, dL/dα, dL/dθ`);
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
    });
}
