/** What the organizer screens read and write: every request they make, and nothing else. */
import { del, get, post, put } from '../../api';
import { session } from '../../session';
import type { Category, Page, Sales, TicketEvent } from '../../types';

/** The signed-in organizer's events (an admin's: all of them), up to 20 pages of 100. */
export async function myEvents(signal: AbortSignal): Promise<TicketEvent[]> {
  const mine: TicketEvent[] = [];
  const user = session.user;
  for (let page = 1; page <= 20; page++) {
    const result = await get<Page<TicketEvent>>('/api/events', { query: { page, limit: 100 }, signal });
    mine.push(...result.data.filter((e) => user?.role === 'ADMIN' || e.organizadorId === user?.id));
    if (page * result.limit >= result.total) break;
  }
  return mine;
}

export const fetchEvent = (eventId: string, signal: AbortSignal) =>
  get<TicketEvent>(`/api/events/${eventId}`, { signal });
export const fetchSales = (eventId: string, signal: AbortSignal) =>
  get<Sales>(`/api/admin/events/${eventId}/sales`, { signal });

export const createEvent = (body: Record<string, unknown>) => post<TicketEvent>('/api/events', body);
export const updateEvent = (eventId: string, patch: Record<string, unknown>) =>
  put<TicketEvent>(`/api/events/${eventId}`, patch);

export const addCategory = (eventId: string, body: Record<string, unknown>) =>
  post<Category>(`/api/events/${eventId}/categories`, body);
export const updateCategory = (eventId: string, categoryId: string, patch: Record<string, unknown>) =>
  put<Category>(`/api/events/${eventId}/categories/${categoryId}`, patch);
export const deleteCategory = (eventId: string, categoryId: string) =>
  del(`/api/events/${eventId}/categories/${categoryId}`);
