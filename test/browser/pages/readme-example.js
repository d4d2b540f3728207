// The README's short example as a function of the library namespace, so Node (src/) and a browser worker
// (dist/browser/exodus-snn.js) run the very same code. Returns the losses of each step; `times`, when given,
// receives each step's wall time in ms (bench/browser.ts).
export function trainReadmeExample(lib, steps = 20, times = null) {
  const { tidy, backward, softmaxCrossEntropy, sum } = lib;
  const { net, opt, x, labels } = setup(lib);
  const losses = [];
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
    losses.push(tidy(() => {
      net.resetStates();
      const counts = sum(net.forward(x), 0);
      const l = softmaxCrossEntropy(counts, labels);
      backward(l);
      opt.step();
      opt.zeroGrad();
      return l.item();
    }));
    times?.push(performance.now() - t0);
  }
  return losses;
}

/** The same steps for a backend that reads back asynchronously (webgpu): the loss is read with data(). */
export async function trainReadmeExampleAsync(lib, steps = 20) {
  const { tidyAsync, backward, softmaxCrossEntropy, sum } = lib;
  const { net, opt, x, labels } = setup(lib);
  const losses = [];
  for (let step = 0; step < steps; step++) {
    losses.push(await tidyAsync(async () => {
      net.resetStates();
      const counts = sum(net.forward(x), 0);
      const l = softmaxCrossEntropy(counts, labels);
      backward(l);
      opt.step();
      opt.zeroGrad();
      return (await l.data())[0];
    }));
  }
  return losses;
}

function setup(lib) {
  const { LIF, Linear, Sequential, Adam, Rng, tensor } = lib;
  const net = new Sequential(
    new Linear(784, 256),
    new LIF({ tauMem: 20, normInput: false, gradient: "exodus" }),
    new Linear(256, 10),
    new LIF({ tauMem: 20, normInput: false }),
  );
  const opt = new Adam(net.parameters(), { lr: 5e-3 });
  const rng = new Rng(1);
  const x = tensor(Float32Array.from({ length: 25 * 8 * 784 }, () => (rng.random() < 0.1 ? 1 : 0)), [25, 8, 784]);
  const labels = [0, 1, 2, 3, 4, 5, 6, 7];
  return { net, opt, x, labels };
}
