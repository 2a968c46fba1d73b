import { sql } from 'kysely';
import type { Services } from '../app';
import type { Database } from '../shared/db/database';
import type { Role } from '../shared/domain';
import type { AuthUser } from '../modules/auth/tokens';

/** The accounts of the contract's seed data (these passwords predate the password policy). */
export const SEED_USERS: { nombre: string; email: string; password: string; role: Role }[] = [
  { nombre: 'Admin', email: 'admin@test.com', password: 'Admin123!', role: 'ADMIN' },
  { nombre: 'Organizador', email: 'organizador@test.com', password: 'Org123!', role: 'ORGANIZADOR' },
  { nombre: 'Comprador', email: 'comprador@test.com', password: 'User123!', role: 'COMPRADOR' },
];

const daysFromNow = (days: number) => {
  const date = new Date(Date.now() + days * 86_400_000);
  date.setUTCHours(20, 0, 0, 0);
  return date.toISOString();
};

const SEED_EVENTS = () => [
  {
    nombre: 'Rock Concert',
    descripcion: 'The best concert of the year',
    fecha: daysFromNow(60),
    ubicacion: 'Madrid Arena',
    capacidadTotal: 1000,
    precioBase: 50,
    categorias: [
      { nombre: 'VIP', precio: 150, cantidadTotal: 100, beneficios: ['Backstage access', 'Meet & greet'] },
      { nombre: 'General', precio: 50, cantidadTotal: 900, beneficios: ['General admission'] },
    ],
  },
  {
    nombre: 'Tech Conference',
    descripcion: 'Two days of talks and workshops on distributed systems',
    fecha: daysFromNow(90),
    ubicacion: 'Barcelona',
    capacidadTotal: 500,
    precioBase: 80,
    categorias: [
      { nombre: 'Premium', precio: 200, cantidadTotal: 50, beneficios: ['Front rows', 'Workshop access'] },
      { nombre: 'Student', precio: 30, cantidadTotal: 200, beneficios: ['Student ID required'] },
      { nombre: 'General', precio: 80, cantidadTotal: 250, beneficios: ['All talks'] },
    ],
  },
];

export interface SeedReport {
  usersCreated: string[];
  eventsCreated: string[];
  ordersCreated: number;
}

/**
 * Loads the contract's seed data through the same services the API uses, so the stock stays
 * consistent. Idempotent: users are matched by email and events by name and organizer; the
 * sample orders are only made together with the event they belong to.
 */
export async function seed(db: Database, services: Services): Promise<SeedReport> {
  const report: SeedReport = { usersCreated: [], eventsCreated: [], ordersCreated: 0 };
  const accounts = new Map<Role, AuthUser>();
  for (const u of SEED_USERS) {
    let row = await services.users.findByEmail(u.email);
    if (!row) {
      row = await services.users.insert({
        name: u.nombre,
        email: u.email,
        passwordHash: await services.passwords.hash(u.password),
        role: u.role,
      });
      if (row) report.usersCreated.push(u.email);
      row ??= await services.users.findByEmail(u.email);
    }
    accounts.set(u.role, { id: row!.id, role: row!.role });
  }

  const organizer = accounts.get('ORGANIZADOR')!;
  for (const event of SEED_EVENTS()) {
    const existing = await db
      .selectFrom('events')
      .select('id')
      .where('name', '=', event.nombre)
      .where('organizer_id', '=', organizer.id)
      .executeTakeFirst();
    if (existing) continue;
    const created = await services.events.create(organizer, event);
    report.eventsCreated.push(event.nombre);
    if (event.nombre === 'Rock Concert') {
      report.ordersCreated = await sampleOrders(db, services, accounts.get('COMPRADOR')!, created);
    }
  }
  return report;
}

/** One order in each state, so a newcomer sees real data in every list and report. */
async function sampleOrders(
  db: Database,
  services: Services,
  buyer: AuthUser,
  event: { id: string; categorias: { id: string; nombre: string }[] },
): Promise<number> {
  const [vip, general] = event.categorias;
  const reserve = async (categoryId: string, cantidad: number) =>
    (await services.orders.reserve(buyer, { eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad }] }))
      .order;

  const confirmed = await reserve(vip!.id, 2);
  await services.orders.confirm(buyer, confirmed.id, { metodoPago: 'credit_card', transactionId: 'seed-txn-0001' });

  const cancelled = await reserve(general!.id, 1);
  await services.orders.cancel(buyer, cancelled.id);

  // A hold that ran out: released by the same code path as the background job.
  const expired = await reserve(general!.id, 3);
  await db
    .updateTable('orders')
    .set({ expires_at: sql`now() - interval '1 minute'` })
    .where('id', '=', expired.id)
    .execute();
  await services.orders.expireDueHolds(100);

  await reserve(general!.id, 4); // Stays RESERVED until its hold runs out.
  return 4;
}
