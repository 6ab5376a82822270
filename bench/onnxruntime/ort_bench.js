#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node, pinned in package.json) on one ONNX file, single-threaded and
// sequential, the same input N times: the reference `resq bench --bits fp32 --threads 1` is
// compared against (bench/compare.sh).
// Usage: node ort_bench.js --model M.onnx [--input X.nhwc.f32] [--runs 200] [--warmup 10] [--json F]
'use strict';
const fs = require('fs');

const USAGE = 'usage: node ort_bench.js --model M.onnx [--input X.f32] [--runs N] [--warmup N] [--json FILE]\n';

function usage(message) {
  process.stderr.write(`ort_bench.js: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opt = {model: '', input: '', runs: 200, warmup: 10, json: ''};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (!(key in opt)) usage(`unknown option ${argv[i]}`);
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
    opt[key] = typeof opt[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
    if (typeof opt[key] === 'number' && !(Number.isInteger(opt[key]) && opt[key] >= 0))
      usage(`${argv[i]} must be a non-negative integer`);
  }
  if (!opt.model) usage('--model is required');
  if (opt.runs < 1) usage('--runs must be at least 1');
  return opt;
}

// Nearest-rank percentile, as resq reports it.
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

// The model's NCHW float input. A raw little-endian NHWC float32 file (the golden inputs) is
// transposed; without one, a smooth non-constant ramp like tests/bench/model_bench.cc feeds.
function makeInput(dims, file) {
  const [n, c, h, w] = dims;
  const data = new Float32Array(n * c * h * w);
  if (!file) {
    for (let i = 0; i < data.length; ++i) data[i] = (i % 251) / 251;
    return data;
  }
  const buf = fs.readFileSync(file);
  if (buf.length !== data.length * 4)
    throw new Error(`${file}: ${buf.length} bytes, the input ${dims.join('x')} needs ${data.length * 4}`);
  const nhwc = new Float32Array(buf.buffer, buf.byteOffset, data.length);
  for (let y = 0; y < h; ++y)
    for (let x = 0; x < w; ++x)
      for (let ch = 0; ch < c; ++ch) data[(ch * h + y) * w + x] = nhwc[(y * w + x) * c + ch];
  return data;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const ort = require('onnxruntime-node');  // after the arguments: --help works before `npm install`
  if (!fs.existsSync(opt.model)) throw new Error(`${opt.model}: no such file`);
  const session = await ort.InferenceSession.create(opt.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  const meta = session.inputMetadata.find((m) => m.name === name);
  const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 256, 256];
  if (dims.length !== 4) throw new Error(`${opt.model}: input '${name}' is not 4-D`);
  const feeds = {[name]: new ort.Tensor('float32', makeInput(dims, opt.input), dims)};

  for (let i = 0; i < opt.warmup; ++i) await session.run(feeds);
  const ms = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < opt.runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // Process CPU time (all threads; one runs the model): less sensitive to a busy machine.
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...ms].sort((a, b) => a - b);
  const report = {
    runtime: `onnxruntime-node ${require('onnxruntime-node/package.json').version}`,
    model: opt.model,
    input: {name, shape: dims, file: opt.input || null},
    threads: 1,
    warmup: opt.warmup,
    runs: opt.runs,
    latency_ms: {
      median: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    },
    cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / opt.runs,
  };
  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(report, null, 2) + '\n');
  const l = report.latency_ms;
  console.log(`${report.runtime}, 1 thread, ${opt.runs} runs: median ${l.median.toFixed(3)} ms, ` +
              `p95 ${l.p95.toFixed(3)} ms, mean ${l.mean.toFixed(3)} ms, CPU ${report.cpu_ms_per_run.toFixed(3)} ms/run`);
}

main().catch((e) => {
  process.stderr.write(`ort_bench.js: ${e.message}\n`);
  process.exit(1);
});
