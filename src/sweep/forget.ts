/**
 * Forgetting a plan (`exodus-snn sweep forget`): its jobs leave the queue, and with them their states, results
 * and final weights (all kept in the job's own keys), so submitting the plan again queues every trial anew.
 * Only the plan's own jobs go: those of its trials, and those an earlier version of the same plan left behind
 * (ids "<name>-<12 hex>", ids.ts, whose data names the plan). The queue's shared keys (id counter, events,
 * meta) and other plans' and experiments' jobs stay. A trial a live worker holds (its job locked) cannot be
 * removed; forgetting is refused while one is, before anything is removed.
 * The run directories in the store are not in Redis; `runDirsOf` finds them, for the caller to delete on request
 * (a re-submitted trial whose directory holds a checkpoint resumes from it instead of starting over).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Plan, Trial } from "./plan.js";
import type { JobData, SweepQueue, TrialState } from "./queue.js";

export interface PlanJob {
  id: string;
  state: TrialState;
  /** False: left by an earlier version of the plan (its trial is not in the plan file now). */
  inPlan: boolean;
  /** A live worker holds the job's lock (it is training the trial now). */
  locked: boolean;
}

/** Ids of the plan's trials, in any version of the plan: "<name>-<12 hex>". */
export function planIdPattern(plan: Plan): RegExp {
  return new RegExp(`^${plan.name.replace(/\./g, "\\.")}-[0-9a-f]{12}$`);
}

/** Every job of the plan in the queue: its trials' jobs in plan order, then leftovers sorted by id. */
export async function planJobs(queue: SweepQueue, plan: Plan, trials: Trial[]): Promise<PlanJob[]> {
  const client = await queue.getBackend().connection.client;
  const out: PlanJob[] = [];
  const add = async (id: string, inPlan: boolean) => {
    const job = await queue.getJob(id);
    if (!job) return;
    // an accuracy run's id ("accuracy-<task>-<hex>") has the same form as the trials of a plan named
    // "accuracy-<task>": the job's data tells them apart
    if (!inPlan && (job.data as Partial<JobData>).plan !== plan.name) return;
    const state = (await job.getState()) as TrialState;
    const locked = state === "active" && (await client.get(queue.toKey(`${id}:lock`))) !== null;
    out.push({ id, state, inPlan, locked });
  };
  const ids = new Set(trials.map((t) => t.id));
  for (const t of trials) await add(t.id, true);
  // a job is the hash "<prefix>:<queue>:<id>"; the plan's name holds no glob characters (plan.ts allows
  // letters, digits, '_', '.', '-'), so it can go into MATCH as it is
  const prefix = queue.toKey("");
  const re = planIdPattern(plan);
  const extra = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, { MATCH: `${prefix}${plan.name}-*`, COUNT: 1000 });
    cursor = next;
    for (const k of keys) {
      const id = k.slice(prefix.length);
      if (re.test(id) && !ids.has(id)) extra.add(id);
    }
  } while (cursor !== "0");
  for (const id of [...extra].sort()) await add(id, false);
  return out;
}

/** Removes the jobs (each atomically, by BullMQ's removeJob script); those found locked meanwhile are returned. */
export async function removeJobs(queue: SweepQueue, jobs: PlanJob[]): Promise<{ removed: string[]; locked: string[] }> {
  const removed: string[] = [], locked: string[] = [];
  for (const j of jobs) ((await queue.remove(j.id)) === 1 ? removed : locked).push(j.id);
  return { removed, locked };
}

/** The plan's run directories under `store` on this machine (named by trial id, in any version of the plan). */
export function runDirsOf(store: string, plan: Plan): string[] {
  if (!existsSync(store)) return [];
  const re = planIdPattern(plan);
  return readdirSync(store).filter((name) => re.test(name) && statSync(join(store, name)).isDirectory()).sort().map((name) => join(store, name));
}
