// Preloaded with `--require` (NODE_OPTIONS; `--import` would send the .ts entry through the ESM loader) when BENCH_PROFILE is set: Node 20 refuses `--cpu-prof` in NODE_OPTIONS,
// so this starts the V8 profiler through the inspector and writes a .cpuprofile into CPU_PROFILE_DIR on exit.
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR ?? process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // Same-thread inspector messages are dispatched synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      const name = `${path.basename(path.dirname(path.dirname(process.argv[1] ?? 'x')))}-${process.pid}.cpuprofile`;
      fs.writeFileSync(path.join(dir, name), JSON.stringify(result.profile));
    });
  });
}
