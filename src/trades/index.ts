export { TradeService, TradeConflictError, DEFAULT_TRADE_OPTIONS, type TradeOptions, type TradeOutcome, type TradeView } from './trade-service.js';
export { tradeRequestSchema, parseTradeRequest, termsOf, termsHash, MAX_GOODS_PER_SIDE, type TradeRequest, type TradeTerms, type TradeSide } from './trade-request.js';
export type { TradeStatus, TradeRecord } from './trade-records.js';
export { asStatEvents } from './trade-stats.js';
