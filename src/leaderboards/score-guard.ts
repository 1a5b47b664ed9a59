// The hook anti-cheat has on score submissions: it sees each one before anything is written, may refuse it or
// hold it out of the board (quarantine), and decides which players' scores a rebuild leaves out (bans).

export interface GuardedSubmission {
  board: string;
  /** The board's order: what "better" means for its rules. */
  order: 'asc' | 'desc';
  season: string;
  playerId: string;
  /** The submitted value, before the board's operator. */
  score: number;
  region: string | null;
  /** The player's current score in this season of the board (undefined: none); read only when a rule needs it. */
  previous(): Promise<number | undefined>;
}

export interface SubmitVerdict {
  /** Keep the score out of the public board (it is held for review instead). */
  hold: boolean;
  /** Runs once the score is written (or held), with the stored score (for a held one: the submitted value). */
  accepted: (stored: number) => Promise<void>;
}

export interface ScoreGuard {
  /**
   * Throws (or rejects) to refuse the submission (RejectedError, BannedError). Returns undefined when there is
   * nothing to do, decided at once (no rule of the board needs a read), else the verdict to come (undefined: nothing).
   */
  beforeSubmit(submission: GuardedSubmission): Promise<SubmitVerdict | undefined> | undefined;
  /** Whether the player's scores are kept off every board (rebuilds and stat-following boards skip it). */
  isBanned(playerId: string): boolean;
}
