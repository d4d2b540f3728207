/**
 * Step-scoped memory: tensors created inside `tidy(fn)` are released when fn returns, except the ones it
 * returns and the ones passed to `keep()`. Training loops wrap each step in tidy, so memory stops growing
 * without ownership in user code. Tensors created outside any scope are released when garbage-collected
 * (FinalizationRegistry), or explicitly with dispose(). This file is the only code that frees buffers
 * implicitly, and the one autograd asks about ownership (createdSince, isSoleOwner). It needs tensors
 * only as a type: tensor.ts calls in (onCreate, onDispose), never the other way round.
 */
import type { Tensor } from "./tensor.js";

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

let nextTensorId = 1;

/** A new tensor's id, in creation order (the Tensor constructor takes one). */
export function newTensorId(): number {
  return nextTensorId++;
}

/** A point in creation order: the tensors created after it are createdSince(mark). */
export function creationMark(): number {
  return nextTensorId;
}

/** Whether t was created after `mark` (e.g. by the backward pass that took the mark). */
export function createdSince(mark: number, t: Tensor): boolean {
  return t.id >= mark;
}

/** Whether t is the only tensor referring to its memory (no view such as a reshape shares it). */
export function isSoleOwner(t: Tensor): boolean {
  return t.storage.refs === 1;
}

// Backstop for tensors created outside any scope: release memory when the Tensor object is collected.
const finalizer = new FinalizationRegistry<{ release(): void; freed: boolean }>((token) => {
  if (!token.freed) {
    token.freed = true;
    try {
      token.release();
    } catch {
      // the backend may have been disposed already
    }
  }
});
const tokens = new WeakMap<Tensor, { release(): void; freed: boolean }>();

/** Called by the Tensor constructor. */
export function onCreate(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
  else registerFinalizer(t);
}

function registerFinalizer(t: Tensor): void {
  if (tokens.has(t)) return;
  // The token must not reference `t` (that would keep it alive); it releases through the storage.
  const storage = t.storage;
  const token = {
    freed: false,
    release: () => storage.release(),
  };
  tokens.set(t, token);
  finalizer.register(t, token, t);
}

/** The finalizer no longer releases t (it was released, or a scope owns it again). */
function unregisterFinalizer(t: Tensor): void {
  const tok = tokens.get(t);
  if (tok) {
    tok.freed = true;
    finalizer.unregister(t);
    tokens.delete(t);
  }
}

/** Called by Tensor.dispose(): forget the tensor so neither a scope nor the finalizer releases it again. */
export function onDispose(t: Tensor): void {
  unregisterFinalizer(t);
  for (const s of scopes) s.delete(t);
}

/** Releases tensors now (and their grads). */
export function dispose(t: Tensor | readonly Tensor[] | null | undefined): void {
  if (!t) return;
  if (Array.isArray(t)) {
    for (const x of t as Tensor[]) x.dispose();
    return;
  }
  (t as Tensor).dispose();
}

/** Moves a tensor out of every scope: it lives until dispose() (or GC). Returns it. */
export function keep<T extends Tensor>(t: T): T {
  let found = false;
  for (const s of scopes) if (s.delete(t)) found = true;
  if (found) registerFinalizer(t);
  return t;
}

/**
 * The tensors of `scope` reachable from x (a tensor, or arrays / plain objects of them). Only the scope's
 * own tensors can survive it, so membership is the whole test: no class check, and a tensor from outside
 * (not an array, not a plain object) is skipped like any other value.
 */
function collect(x: unknown, scope: Scope, out: Set<Tensor>, depth = 0): void {
  if (!x || typeof x !== "object" || depth > 4) return;
  if (scope.has(x as Tensor)) {
    out.add(x as Tensor);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, scope, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, scope, out, depth + 1);
}

/**
 * Runs fn in a new scope. Tensors it creates are released at the end, except those reachable from its
 * return value (a tensor, or arrays / plain objects of tensors), which move to the enclosing scope.
 */
export function tidy<R>(fn: () => R): R {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of [...scope]) t.dispose();
    throw e;
  }
  scopes.pop();
  closeScope(scope, result);
  return result;
}

function closeScope(scope: Scope, result: unknown): void {
  const survivors = new Set<Tensor>();
  collect(result, scope, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of [...scope]) {
    if (survivors.has(t)) {
      if (parent) parent.add(t);
      else registerFinalizer(t);
    } else {
      t.dispose();
    }
  }
}

/** Async variant of tidy for steps that await (e.g. WebGPU reads). Do not interleave two at once. */
export async function tidyAsync<R>(fn: () => Promise<R>): Promise<R> {
  const scope: Scope = new Set();
  scopes.push(scope);
  const remove = () => {
    const i = scopes.lastIndexOf(scope);
    if (i >= 0) scopes.splice(i, 1);
  };
  let result: R;
  try {
    result = await fn();
  } catch (e) {
    remove();
    for (const t of [...scope]) t.dispose();
    throw e;
  }
  remove();
  closeScope(scope, result);
  return result;
}

/** Number of open scopes (for tests). */
export function scopeDepth(): number {
  return scopes.length;
}

/** Identity of the innermost open scope (null outside any scope). */
export function currentScopeToken(): object | null {
  return scopes[scopes.length - 1] ?? null;
}

/** Whether a scope returned by currentScopeToken() is still open. */
export function isScopeOpen(token: object | null): boolean {
  return token === null ? true : scopes.includes(token as Scope);
}

/**
 * Hands a kept tensor back to the innermost open scope (it is released when that scope ends, so a graph
 * built in the scope can still use it); outside any scope it is released now. Used when a layer replaces
 * its state: the old state may still be an input of the current graph.
 */
export function release(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (!top) {
    t.dispose();
    return;
  }
  unregisterFinalizer(t);
  top.add(t);
}
