/**
 * Audio front end speed (not a test): the cochlea model's real-time factor (compute seconds per second
 * of audio, one thread, 700 channels, 16 kHz) on espeak-ng digits, and the spoken-digits generator's
 * samples/s on every core for a small set, extrapolated to SHD's size (8,156 + 2,264). Prints a table and
 * a final JSON line. Run: npm run bench:audio [-- --samples 40].
 */
import { availableParallelism, cpus, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { resolveCochlea } from "../src/data/audio/cochlea.js";
import { synthSample, type SampleSpec } from "../src/data/audio/speech-synth.js";
import { generateSpokenDigits } from "../src/data/sim/spoken-digits.js";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const samples = arg("samples", 40);
const params = resolveCochlea();

// 1. Converter real-time factor: the same synthesis + model path the generator runs, timed per sample.
const specs: SampleSpec[] = Array.from({ length: 20 }, (_, i) => ({
  label: i, voice: i < 10 ? "en-us+m3" : "de+f2", wpm: 160, pitch: 50, speed: 1, gainDb: 0, lead: 0.05, snrDb: 20, noise: "white", seed: i,
}));
synthSample(specs[0]!, params); // warm-up (JIT)
let audio = 0;
let spikes = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
for (const s of specs) {
  const r = synthSample(s, params);
  audio += r.seconds;
  spikes += r.times.length;
}
const conv = (performance.now() - t0) / 1000;
const c1 = process.cpuUsage(c0);
// CPU time as well as wall time: on a shared machine wall time measures the neighbours too.
const convCpu = (c1.user + c1.system) / 1e6;
const rtf = conv / audio;
const rtfCpu = convCpu / audio;

// 2. Generator on all cores.
const dir = mkdtempSync(join(tmpdir(), "bench-audio-"));
let gen;
const g0 = process.cpuUsage();
try {
  gen = await generateSpokenDigits({ out: join(dir, "sd.h5"), train: Math.round(samples * 0.78), test: samples - Math.round(samples * 0.78), force: true });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const g1 = process.cpuUsage(g0);
const genCpuPerSample = (g1.user + g1.system) / 1e6 / samples;
const full = 8156 + 2264;
const fullMin = full / gen.samplesPerSecond / 60;
const rows = [
  ["converter (synth + 700-ch model), 1 thread", `${audio.toFixed(1)} s audio in ${conv.toFixed(1)} s`, `real-time factor ${rtf.toFixed(3)} wall, ${rtfCpu.toFixed(3)} CPU, ${(spikes / specs.length).toFixed(0)} spikes/sample`],
  [`generator, ${gen.jobs} workers, ${samples} samples`, `${gen.seconds.toFixed(1)} s`, `${gen.samplesPerSecond.toFixed(2)} samples/s → ${full} samples ≈ ${fullMin.toFixed(0)} min; ${genCpuPerSample.toFixed(2)} CPU s/sample`],
];
console.log(`cpu: ${cpus()[0]?.model ?? "?"} × ${availableParallelism()}`);
for (const r of rows) console.log(r.join(" | "));
console.log(JSON.stringify({ rtf, rtfCpu, genCpuPerSample, audioSeconds: audio, converterSeconds: conv, spikesPerSample: spikes / specs.length, genSamples: samples, genSeconds: gen.seconds, genSamplesPerSecond: gen.samplesPerSecond, jobs: gen.jobs, fullSetMinutes: fullMin }));
