/**
 * WGSL gemm: c (+)= alpha · op(a) · op(b), a 64×64 output tile per workgroup (256 invocations, 4×4 outputs
 * each, strided by 16 so shared-memory reads and global writes are coalesced), K in steps of 16 through
 * workgroup memory. transA/transB choose the load pattern so global reads stay coalesced. Tiles are
 * numbered linearly over a 2-D grid, so no dimension exceeds the 65535-workgroup cap.
 * Words: 1 m, 2 n, 3 k, 4 accumulate (0/1), 5 alpha (f32), 6 tiles along n, 7 total tiles.
 */
export const GEMM_TILE = 64;

export function gemmWgsl(transA: boolean, transB: boolean): string {
  // Element e (0..1023) of a 64×16 tile: which (row-of-op, k) it loads, chosen for coalescing.
  const aLoad = transA
    ? `let mm = e % 64u; let kk = e / 64u; let gm = m0 + mm; let gk = k0 + kk;
      var v = 0.0; if (gm < M && gk < K) { v = a[gk * M + gm]; }`
    : `let kk = e % 16u; let mm = e / 16u; let gm = m0 + mm; let gk = k0 + kk;
      var v = 0.0; if (gm < M && gk < K) { v = a[gm * K + gk]; }`;
  const bLoad = transB
    ? `let kk = e % 16u; let nn = e / 16u; let gn = n0 + nn; let gk = k0 + kk;
      var v = 0.0; if (gn < N && gk < K) { v = b[gn * K + gk]; }`
    : `let nn = e % 64u; let kk = e / 64u; let gn = n0 + nn; let gk = k0 + kk;
      var v = 0.0; if (gn < N && gk < K) { v = b[gk * N + gn]; }`;
  return `
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let M = pu(1u); let N = pu(2u); let K = pu(3u);
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= pu(7u)) { return; }
  let m0 = (tile / pu(6u)) * 64u;
  let n0 = (tile % pu(6u)) * 64u;
  let tx = lid % 16u; let ty = lid / 16u;
  // 4×4 accumulators as four vec4 registers (no private arrays: those can spill to local memory).
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < K; k0 += 16u) {
    for (var l = 0u; l < 4u; l++) {
      let e = lid + l * 256u;
      { ${aLoad}
        As[kk * 64u + mm] = v; }
      { ${bLoad}
        Bs[kk * 64u + nn] = v; }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let o = kk * 64u;
      let bv = vec4<f32>(Bs[o + tx], Bs[o + tx + 16u], Bs[o + tx + 32u], Bs[o + tx + 48u]);
      acc0 += As[o + ty] * bv;
      acc1 += As[o + ty + 16u] * bv;
      acc2 += As[o + ty + 32u] * bv;
      acc3 += As[o + ty + 48u] * bv;
    }
    workgroupBarrier();
  }
  let alpha = pf(5u);
  let accumulate = pu(4u) != 0u;
  let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = m0 + ty + 16u * i;
    if (r >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let cc = n0 + tx + 16u * j;
      if (cc >= N) { continue; }
      let idx = r * N + cc;
      var out = alpha * rows[i][j];
      if (accumulate) { out += c[idx]; }
      c[idx] = out;
    }
  }
}`;
}
