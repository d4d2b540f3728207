/**
 * `data sim dvs-gesture --out DIR [--users N] [--seed S] [--lightings a,b] [--gesture-ms M]`:
 * writes DIR/DvsGesture/ as IBM's archive unpacks (writeGestureTree).
 */
import { UsageError } from "../../errors.js";
import { GESTURE_LIGHTINGS, gestureTestUsers, writeGestureTree, type GestureLighting } from "./dvs-gesture-sim.js";
import { intFlag, requiredFlag, type SimKind } from "./sim-kind.js";

export const dvsGestureSimKind: SimKind = {
  name: "dvs-gesture",
  summary: "DVS Gesture folder (userNN_<lighting>.aedat + _labels.csv + trials lists) of 11 simulated gestures on a 128×128 DVS",
  flags: [
    { flags: "--out <dir>", description: "new folder; the set goes to DIR/DvsGesture (must not exist or be empty)" },
    { flags: "--users <n>", description: "subjects; the last ⌈6N/29⌉ are test users (IBM: 29, 24–29 test)", default: "10" },
    { flags: "--seed <s>", description: "seed of users, timing and noise", default: "1" },
    { flags: "--lightings <list>", description: `comma list of ${GESTURE_LIGHTINGS.join(", ")}`, default: "fluorescent,led,natural" },
    { flags: "--gesture-ms <ms>", description: "mean gesture length (IBM's ≈ 6000)", default: "1500" },
  ],
  async run(f, log) {
    const out = requiredFlag("dvs-gesture", "out", f["out"]);
    const users = intFlag("users", f["users"] ?? "10", 2, 99)!;
    const seed = intFlag("seed", f["seed"] ?? "1", 0, 2 ** 32 - 1)!;
    const gestureMs = intFlag("gesture-ms", f["gestureMs"] ?? "1500", 300, 20_000)!;
    const lightings = String(f["lightings"] ?? "fluorescent,led,natural").split(",").map((s) => s.trim());
    const bad = lightings.filter((l) => !(GESTURE_LIGHTINGS as readonly string[]).includes(l));
    if (bad.length || new Set(lightings).size !== lightings.length || lightings.length === 0) throw new UsageError(`--lightings must be distinct names from ${GESTURE_LIGHTINGS.join(", ")}, got '${String(f["lightings"])}'`);
    const t0 = performance.now();
    const r = await writeGestureTree(out, { users, seed, gestureMs, lightings: lightings as GestureLighting[] }, log);
    return { kind: "dvs-gesture", out, users, testUsers: gestureTestUsers(users), recordings: r.recordings, train: r.trainSamples, test: r.testSamples, events: r.events, seconds: +((performance.now() - t0) / 1000).toFixed(1) };
  },
};
