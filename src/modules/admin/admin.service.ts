import { notFound } from '../../shared/errors';
import type { AuthUser } from '../auth/tokens';
import type { EventRepository } from '../events/events.repository';
import { assertCanManageEvent } from '../policy/policy';
import { presentSales, presentStats } from './admin.presenter';
import type { AdminRepository } from './admin.repository';
import type { SalesDto, StatsDto } from './admin.wire';

export class AdminService {
  constructor(
    private readonly reports: AdminRepository,
    private readonly events: EventRepository,
  ) {}

  async stats(): Promise<StatsDto> {
    const [usersByRole, events, ordersByStatus, confirmed] = await Promise.all([
      this.reports.usersByRole(),
      this.reports.eventCounts(),
      this.reports.ordersByStatus(),
      this.reports.confirmedTotals(),
    ]);
    return presentStats({ usersByRole, events, ordersByStatus, confirmed });
  }

  /** For an administrator or the event's own organizer. */
  async eventSales(user: AuthUser, eventId: string): Promise<SalesDto> {
    const event = await this.events.findById(eventId);
    if (!event) throw notFound('Event');
    assertCanManageEvent(user, event);
    return presentSales(eventId, await this.reports.categorySales(eventId));
  }
}
