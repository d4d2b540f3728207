// Optimizer updates for the wasm backend (PyTorch semantics), called from ../kernels/optim.ts.

/** Adam / AdamW step (PyTorch semantics); step size and bias corrections precomputed in f64 by the caller. */
export function adamUpdate(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32,
  weightDecay: f32, decoupled: i32, invBc1: f32, invSqrtBc2: f32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(<f32>1 - beta1), c2 = f32x4.splat(<f32>1 - beta2);
  const wd = f32x4.splat(weightDecay), decay = f32x4.splat(<f32>1 - lr * weightDecay);
  const stepv = f32x4.splat(lr * invBc1), sb2 = f32x4.splat(invSqrtBc2), ev = f32x4.splat(eps);
  let i = 0;
  while (i < n) {
    const tail = i + 4 > n;
    const o = <usize>i << 2;
    let pv = tail ? v128.load32_splat(p + o) : v128.load(p + o);
    let gv = tail ? v128.load32_splat(g + o) : v128.load(g + o);
    const mo = tail ? v128.load32_splat(m + o) : v128.load(m + o);
    const vo = tail ? v128.load32_splat(v + o) : v128.load(v + o);
    if (decoupled) pv = f32x4.mul(pv, decay);
    else if (weightDecay != 0) gv = f32x4.add(gv, f32x4.mul(wd, pv));
    const mi = f32x4.add(f32x4.mul(b1, mo), f32x4.mul(c1, gv));
    const vi = f32x4.add(f32x4.mul(b2, vo), f32x4.mul(f32x4.mul(c2, gv), gv));
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vi), sb2), ev);
    pv = f32x4.sub(pv, f32x4.div(f32x4.mul(stepv, mi), den));
    if (tail) {
      store<f32>(p + o, f32x4.extract_lane(pv, 0)); store<f32>(m + o, f32x4.extract_lane(mi, 0));
      store<f32>(v + o, f32x4.extract_lane(vi, 0)); i++;
    } else {
      v128.store(p + o, pv); v128.store(m + o, mi); v128.store(v + o, vi); i += 4;
    }
  }
}

/** SGD with momentum / dampening / nesterov / weight decay (PyTorch semantics). */
export function sgdUpdate(p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, dampening: f32,
  nesterov: i32, weightDecay: f32, first: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let d = load<f32>(g + o) + weightDecay * pi;
    if (momentum != 0) {
      const b = first ? d : momentum * load<f32>(buf + o) + (<f32>1 - dampening) * d;
      store<f32>(buf + o, b);
      d = nesterov ? d + momentum * b : b;
    }
    store<f32>(p + o, pi - lr * d);
  }
}
