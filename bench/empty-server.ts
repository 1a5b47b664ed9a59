// An empty fastify route in a process of its own: the framework's own limit, measured like Realmstate's server.
import Fastify from 'fastify';

const app = Fastify();
app.get('/empty/:id', async () => ({ ok: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
