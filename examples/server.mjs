// `npm start`: the demo on http://127.0.0.1:3000 (PORT and HOST change it; PORT=0 picks a free port).
import { createDemoApp } from './app.mjs';

const app = createDemoApp();
const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`web-background-jobs demo listening on http://${address}:${port}`);
  console.log(`jobs dashboard: http://${address}:${port}/dashboard/`);
  console.log(`a long operation from the browser: http://${address}:${port}/long-operation.html`);
});
// Graceful shutdown: stop taking requests, give running jobs 5 s, cancel the rest, then leave.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    const manager = app.locals.backgroundJobs;
    const active = (await manager.getBackgroundJobs({ state: 'Active' })).length;
    console.log(`${signal}: shutting down; ${active} active job(s) get up to 5 s before they are cancelled`);
    server.close();
    await manager.close({ graceSeconds: 5 });
    process.exit(0);
  });
}
