import bcrypt from 'bcrypt';
import type { Role } from '../../src/shared/domain';
import type { EventDto } from '../../src/modules/events/events.wire';
import type { TestService } from './service';

let sequence = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++sequence}`;
export const uniqueEmail = (prefix = 'user') => `${unique(prefix)}@example.test`.toLowerCase();

export const FACTORY_PASSWORD = 'Factory123';
// Hashed once per worker at a low cost: factories create many users, and the cost-12 path is
// exercised by the registration tests.
const factoryHash = bcrypt.hash(FACTORY_PASSWORD, 4);

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  token: string;
  /** `{ Authorization: 'Bearer …' }`, ready for supertest's `.set()`. */
  auth: { Authorization: string };
}

export async function createUser(svc: TestService, role: Role = 'COMPRADOR', name = 'Test User'): Promise<TestUser> {
  const user = await svc.services.users.insert({
    name,
    email: uniqueEmail(role.toLowerCase()),
    passwordHash: await factoryHash,
    role,
  });
  if (!user) throw new Error('factory user email collided');
  const token = svc.services.tokens.sign(user);
  return { id: user.id, email: user.email, role: user.role, token, auth: { Authorization: `Bearer ${token}` } };
}

/** Several users at once, one per role given, in that order. */
export function createUsers<const R extends readonly Role[]>(
  svc: TestService,
  roles: R,
): Promise<{ -readonly [K in keyof R]: TestUser }> {
  return Promise.all(roles.map((role) => createUser(svc, role))) as Promise<{ -readonly [K in keyof R]: TestUser }>;
}

export const futureDate = (daysAhead = 30) => new Date(Date.now() + daysAhead * 86_400_000).toISOString();

export interface CategorySpec {
  nombre?: string;
  precio?: number;
  cantidadTotal?: number;
  beneficios?: string[];
}

export function eventBody(overrides: Record<string, unknown> = {}, categorias: CategorySpec[] = [{}, {}]) {
  return {
    nombre: unique('Event'),
    descripcion: 'A test event',
    fecha: futureDate(),
    ubicacion: 'Madrid Arena',
    capacidadTotal: 1000,
    precioBase: 50,
    categorias: categorias.map((c, i) => ({
      nombre: c.nombre ?? `Category ${i + 1}`,
      precio: c.precio ?? 50,
      cantidadTotal: c.cantidadTotal ?? 100,
      beneficios: c.beneficios ?? [],
    })),
    ...overrides,
  };
}

/** Creates an event through the service layer, as `organizer`. */
export async function createEvent(
  svc: TestService,
  organizer: TestUser,
  overrides: Record<string, unknown> = {},
  categorias?: CategorySpec[],
) {
  const body = eventBody(overrides, categorias);
  const res = await svc.api().post('/api/events').set(organizer.auth).send(body);
  if (res.status !== 201) throw new Error(`createEvent failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as EventDto;
}

/** Wire types for the suites: the server's own response schemas (`src/modules/<area>/<area>.wire.ts`), never a copy. */
export type { CategoryDto as CategoryBody } from '../../src/modules/categories/categories.wire';
export type { EventDto as EventBody } from '../../src/modules/events/events.wire';
export type { OrderDto as OrderBody } from '../../src/modules/orders/orders.wire';
