import 'dotenv/config';
import { createServices } from '../app';
import { loadConfig } from '../shared/config';
import { openDatabase, resolveJwtSecret, resolveTicketSigningSecret } from '../server';
import { migrate } from '../shared/db/migrate';
import { DomainEvents } from '../shared/domain-events';
import { createLogger } from '../shared/logger';
import { SEED_USERS, seed } from './seed';

/**
 * The seed creates accounts whose passwords are published (README, API.md): never in production
 * unless asked for explicitly, e.g. for a throwaway demo host.
 */
function seedRefusal(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_ENV !== 'production' || env.ALLOW_SEED_IN_PRODUCTION === 'true') return undefined;
  return (
    'Refusing to seed with NODE_ENV=production: the seed creates accounts with published passwords. ' +
    'Set ALLOW_SEED_IN_PRODUCTION=true only for a throwaway demo.'
  );
}

/** `npm run seed`: same database selection as `npm start` (DATABASE_URL, else the embedded one). */
async function main() {
  const refusal = seedRefusal(process.env);
  if (refusal) {
    console.error(refusal);
    process.exit(1);
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { database, embedded } = await openDatabase(config, logger);
  let services: ReturnType<typeof createServices> | undefined;
  try {
    await migrate(database.pool, logger);
    services = createServices({
      // Demo orders are confirmed without money moving, whatever provider the service runs with.
      config: { ...config, payments: { provider: 'simulated', currency: config.payments.currency } },
      logger,
      db: database.db,
      pool: database.pool,
      bus: new DomainEvents(),
      jwtSecret: await resolveJwtSecret(config),
      ticketSigningSecret: await resolveTicketSigningSecret(config),
      lifecycle: { draining: false },
    });
    const report = await seed(database.db, services);
    const nothing = report.usersCreated.length + report.eventsCreated.length === 0;
    console.log(nothing ? 'Seed data already present; nothing changed.' : 'Seed data loaded:');
    if (report.usersCreated.length) console.log(`  users:  ${report.usersCreated.join(', ')}`);
    if (report.eventsCreated.length) console.log(`  events: ${report.eventsCreated.join(', ')}`);
    if (report.ordersCreated)
      console.log(`  orders: ${report.ordersCreated} (one CONFIRMED, CANCELLED, EXPIRED and RESERVED)`);
    console.log('Accounts:');
    for (const u of SEED_USERS) console.log(`  ${u.role.padEnd(12)} ${u.email} / ${u.password}`);
  } finally {
    await services?.rateLimits.close();
    await database.close();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
