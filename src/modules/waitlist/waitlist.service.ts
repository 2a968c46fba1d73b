import type { Database } from '../../shared/db/database';
import { AppError, notFound } from '../../shared/errors';
import type { AuthUser } from '../auth/tokens';
import type { AdmissionTokens } from '../queue/admission-tokens';
import { canLeaveWaitlistEntry } from '../policy/policy';
import { presentWaitlistEntry } from './waitlist.presenter';
import type { WaitlistRepository } from './waitlist.repository';
import type { JoinWaitlistInput } from './waitlist.schemas';
import type { WaitlistEntryDto } from './waitlist.wire';

const UNIQUE_VIOLATION = '23505';
/** How many entries GET /api/waitlist/mine returns (newest first). */
export const MY_ENTRIES_LIMIT = 100;

/**
 * Waiting lists of sold-out categories: joining, listing, leaving. Serving them is not done here
 * but in the statement that frees tickets (`release_stock()`, called by the stock repository from
 * the expiry job and cancellations), so that no buyer outside the list can take the tickets first.
 */
export class WaitlistService {
  constructor(
    private readonly db: Database,
    private readonly entries: WaitlistRepository,
    private readonly settings: { maxTicketsPerOrder: number },
    private readonly admission: AdmissionTokens,
  ) {}

  /**
   * For an event sold through its virtual queue, only a buyer the queue admitted (the same
   * `Queue-Token` a purchase needs) may join: otherwise the list would be a way past the queue,
   * its offers being orders made without a token.
   */
  async join(
    user: AuthUser,
    eventId: string,
    categoryId: string,
    input: JoinWaitlistInput,
    queueToken?: string,
  ): Promise<WaitlistEntryDto> {
    if (input.cantidad > this.settings.maxTicketsPerOrder) {
      throw new AppError('VALIDATION_ERROR', `At most ${this.settings.maxTicketsPerOrder} tickets per order`, [
        { in: 'body', path: 'cantidad', message: `must be at most ${this.settings.maxTicketsPerOrder}` },
      ]);
    }
    try {
      const entry = await this.db.transaction().execute(async (trx) => {
        const category = await this.entries.lockCategory(trx, eventId, categoryId);
        if (!category) throw notFound('Category');
        if (category.virtual_queue && !(queueToken && this.admission.admits(queueToken, user.id, eventId))) {
          throw new AppError(
            'QUEUE_REQUIRED',
            'This event sells through its virtual queue: join its waiting list with the admission token (Queue-Token header) the queue gave you',
          );
        }
        if (category.starts_at.getTime() <= Date.now()) {
          throw new AppError('INVALID_STATE', 'The event has already started; tickets are no longer sold');
        }
        if (category.max_per_buyer !== null && input.cantidad > category.max_per_buyer) {
          throw new AppError('LIMIT_EXCEEDED', `At most ${category.max_per_buyer} tickets of this event per buyer`, {
            maxPorComprador: category.max_per_buyer,
            actuales: 0,
            solicitadas: input.cantidad,
          });
        }
        const available = await this.entries.lockAvailable(trx, categoryId);
        if (available > 0) {
          throw new AppError(
            'INVALID_STATE',
            `This category is not sold out (${available} tickets on sale): buy them instead of joining its waiting list`,
            { disponible: available },
          );
        }
        return this.entries.insert(trx, { eventId, categoryId, userId: user.id, quantity: input.cantidad });
      });
      return presentWaitlistEntry(entry);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new AppError('INVALID_STATE', 'You are already on the waiting list of this category');
      }
      throw error;
    }
  }

  async mine(user: AuthUser): Promise<WaitlistEntryDto[]> {
    return (await this.entries.mine(user.id, MY_ENTRIES_LIMIT)).map(presentWaitlistEntry);
  }

  /** Leaves the list. Only a waiting entry: an offer is ended by cancelling its order. */
  async leave(user: AuthUser, entryId: string): Promise<WaitlistEntryDto> {
    const entry = await this.db.transaction().execute(async (trx) => {
      const row = await this.entries.lockEntry(trx, entryId);
      if (!row || !canLeaveWaitlistEntry(user, row)) throw notFound('Waiting-list entry');
      if (row.status !== 'EN_ESPERA') {
        throw new AppError(
          'INVALID_STATE',
          row.status === 'OFERTADO'
            ? 'This entry was already offered an order: cancel the order instead'
            : `An entry in state ${row.status} is no longer on the list`,
        );
      }
      return this.entries.setStatus(trx, entryId, 'CANCELADO');
    });
    return presentWaitlistEntry(entry);
  }
}
