// An empty fastify server in a process of its own: the framework's own limit, measured like Realmstate's server.
// GET answers at once; POST parses the JSON body (fastify's default parser, as Realmstate's routes get it) and answers.
import Fastify from 'fastify';

const app = Fastify();
app.get('/empty/:id', async () => ({ ok: true }));
app.post('/empty/:board/scores', async (req) => ({ ok: req.body !== undefined }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
