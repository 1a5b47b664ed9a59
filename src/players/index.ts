export type { PlayerState, JsonValue, TradeMark, QueueRating } from './player-state.js';
export { NAME_PATTERN, isValidName, reviveState } from './player-state.js';
export {
  playerEventSchema, appendRequestSchema, PLAYER_EVENT_TYPES, MAX_EVENTS_PER_APPEND, MAX_DATA_VALUE_BYTES,
  type PlayerEvent, type PlayerEventType, type RecordedEvent, type Durability, type AppendRequest,
} from './player-events.js';
export { internalEventSchema, INTERNAL_EVENT_TYPES, tradeEventSchema, tradeGoodsSchema, TRADE_EVENT_TYPES, type TradeEvent, type TradeGoods, type InternalPlayerEvent, type InternalEventType, type AnyPlayerEvent } from './player-events.js';
export { applyEvents, replay, STATE_LIMITS } from './reducers.js';
export { MAX_DATA_VALUE_DEPTH } from './storable-json.js';
export { PlayerStore, assertPlayerId, type AppendOptions, type AppendResult, type CommitListener, type Committed, type AppendGuard, type AppendChecked } from './player-store.js';
export { PlayerQueries, MAX_BATCH_GET, type PlayerRead, type ReadSource, type Consistency, type EventsPage } from './player-queries.js';
export { loadPlayers, type LoadSource } from './state-rows.js';
