export { OutboxRelay, DEFAULT_RELAY_OPTIONS, type OutboxRelayOptions } from './outbox-relay.js';
export { ProjectionRunner, type Projection } from './projections.js';
export type { StreamEvent } from '../backends/event-bus.js';
