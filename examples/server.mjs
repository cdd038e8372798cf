// `npm start`: the demo on http://127.0.0.1:3000 (PORT and HOST change it; PORT=0 picks a free port).
import { createDemoApp } from './app.mjs';

const app = createDemoApp();
const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`web-background-jobs demo listening on http://${address}:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
