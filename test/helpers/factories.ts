import bcrypt from 'bcrypt';
import type { Role } from '../../src/shared/domain';
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
  return res.body as EventBody;
}

export interface CategoryBody {
  id: string;
  eventoId: string;
  nombre: string;
  precio: number;
  cantidadTotal: number;
  disponible: number;
  beneficios: string[];
}

export interface EventBody {
  id: string;
  nombre: string;
  descripcion: string;
  fecha: string;
  ubicacion: string;
  capacidadTotal: number;
  precioBase: number;
  organizadorId: string;
  categorias: CategoryBody[];
  createdAt: string;
  updatedAt: string;
}

export interface OrderBody {
  id: string;
  usuarioId: string;
  eventoId: string;
  estado: string;
  tickets: { categoriaId: string; nombre: string; cantidad: number; precioUnitario: number; subtotal: number }[];
  total: number;
  expiraEn: string;
  pago?: { metodoPago: string; transactionId: string; confirmadoEn: string };
  createdAt: string;
  updatedAt: string;
}
