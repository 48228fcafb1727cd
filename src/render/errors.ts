import { EXIT, SimgateError } from '../util/errors';

/**
 * The browser died (crash, OOM kill, closed connection) while or before rendering. Frames of the
 * batch in flight are lost: call `restart()` (or enable `autoRestart`) and redo that episode.
 */
export class RendererCrashedError extends SimgateError {
  constructor(message: string, override readonly cause?: unknown) {
    super(message, 'The renderer can be restarted with restart(); rerun the episode that was in flight.', EXIT.failure);
    this.name = 'RendererCrashedError';
  }
}
