export { EconomyBooks, ECONOMY_PROJECTION, type EconomyReport } from './economy-books.js';
export { applyToBook, totalsOf, emptyBook, type BookLine, type EconomyTotals, type PlayerBook } from './ledger.js';
