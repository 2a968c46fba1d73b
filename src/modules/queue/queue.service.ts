import type { QueueTurnRow } from '../../shared/db/schema';
import { AppError, notFound } from '../../shared/errors';
import type { AuthUser } from '../auth/tokens';
import type { DomainEvents } from '../../shared/domain-events';
import type { AdmissionTokens } from './admission-tokens';
import type { QueueRepository } from './queue.repository';
import type { QueueTurnDto } from './queue.wire';

/**
 * Joining an event's virtual queue. Admission is the admitter job's (admission-job.ts); the
 * purchase path only checks the token it hands out (`AdmissionTokens.admits`, in memory).
 */
export class QueueService {
  constructor(
    private readonly turns: QueueRepository,
    private readonly tokens: AdmissionTokens,
    private readonly bus: DomainEvents,
  ) {}

  /** Idempotent per buyer and event: joining again answers the same turn, as it stands now. */
  async join(user: AuthUser, eventId: string): Promise<QueueTurnDto> {
    const event = await this.turns.event(eventId);
    if (!event) throw notFound('Event');
    if (!event.virtual_queue) {
      throw new AppError('INVALID_STATE', 'This event has no virtual queue: its tickets are bought directly');
    }
    if (event.starts_at.getTime() <= Date.now()) {
      throw new AppError('INVALID_STATE', 'The event has already started; tickets are no longer sold');
    }
    let turn = (await this.turns.insert(eventId, user.id)) ?? (await this.turns.find(eventId, user.id));
    if (!turn) throw notFound('Event'); // deleted between the two statements
    if (turn.status === 'ADMITIDO' && turn.token_expires_at!.getTime() <= Date.now()) {
      turn = (await this.turns.requeueExpired(turn.id)) ?? turn;
    }
    if (turn.status === 'ESPERANDO') this.bus.publish('queue.joined', { eventId });
    return this.present(turn);
  }

  private async present(turn: QueueTurnRow): Promise<QueueTurnDto> {
    const admitted = turn.status === 'ADMITIDO' && turn.token_expires_at!.getTime() > Date.now();
    return {
      turnoId: turn.id,
      posicion: turn.status === 'ESPERANDO' ? await this.turns.position(turn) : 0,
      estado: turn.status,
      agotado: turn.status === 'AGOTADO',
      token: admitted
        ? this.tokens.sign({
            turnId: turn.id,
            userId: turn.user_id,
            eventId: turn.event_id,
            expiresAt: turn.token_expires_at!,
          })
        : null,
      expiraEn: admitted ? turn.token_expires_at!.toISOString() : null,
    };
  }
}
