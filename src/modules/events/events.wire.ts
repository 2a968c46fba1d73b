import { z } from 'zod';
import { id, pageOf, timestamp } from '../../shared/http/wire';
import { categoryResponse } from '../categories/categories.wire';

export const eventResponse = z
  .object({
    id,
    nombre: z.string(),
    descripcion: z.string(),
    fecha: timestamp,
    ubicacion: z.string(),
    capacidadTotal: z.int(),
    precioBase: z.number(),
    organizadorId: id,
    maxPorComprador: z
      .int()
      .min(1)
      .nullable()
      .describe('Tickets one buyer may hold or own of this event at once (live holds + confirmed); null: no limit'),
    colaVirtual: z
      .boolean()
      .describe('Buyers queue (POST /api/events/{id}/queue) and need an admission token (Queue-Token) to buy'),
    categorias: z.array(categoryResponse),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .strict()
  .meta({ id: 'Event' });
export type EventDto = z.infer<typeof eventResponse>;

export const eventPage = pageOf(eventResponse, 'EventPage');

/** The fields an organizer edits; `event:update` carries the edited ones with their new values. */
export const editedEventFields = eventResponse
  .pick({
    nombre: true,
    descripcion: true,
    fecha: true,
    ubicacion: true,
    capacidadTotal: true,
    precioBase: true,
    maxPorComprador: true,
    colaVirtual: true,
  })
  .partial()
  .strict();
export type EditedEventFields = z.infer<typeof editedEventFields>;
