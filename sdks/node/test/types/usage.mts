// S60: the declarations of the ES module entry, for every resource.
import iValid, {
  Client,
  NotFoundError,
  RateLimitError,
  ValidationError,
  webhooks,
  type Customer,
  type Page,
  type Technician,
} from '@ivalid/sdk';

const client = new Client({ clientId: 'cli_1', clientSecret: 'cs_1', scope: 'teams:read', baseUrl: 'http://127.0.0.1:8000/v2', maxRetries: 1, timeout: 5000 });
const same: typeof Client = iValid.Client;

const customers: Page<Customer> = await client.customers.list({ tag: 'premium', per_page: 10 });
const next: Page<Customer> | null = await customers.nextPage();
const more: boolean = customers.hasMore;
for await (const c of client.customers.list({ q: 'Dupont' })) {
  const id: string = c.id;
  void id;
}
const all: Customer[] = await client.customers.list().autoPagingToArray({ limit: 100 });
await client.customers.appointments('cust_1', { status: 'pending' }).autoPagingEach((a) => {
  const s: 'pending' | 'confirmed' | 'completed' | 'cancelled' = a.status;
  return s !== 'cancelled';
});
const service = await client.services.create({ name: 'Dépannage', duration: 90, price: 120.5 });
await client.services.update(service.id, { available_online: false });
const team = await client.teams.create({ name: 'Équipe Lyon' });
const tech: Technician = await client.technicians.create({
  name: 'Sophie Bernard',
  team_id: team.id,
  working_hours: { monday: { start: '08:00', end: '18:00' } },
});
const monday: string | undefined = tech.working_hours.monday?.start;
const schedule = await client.technicians.schedule(tech.id, { date: '2025-01-20' });
const day = await client.availability.get({ service_id: service.id, date: new Date(), postal_code: '75001' });
const slotStart: string | undefined = day.slots[0]?.start;
const range = await client.availability.slots({ service_id: service.id, date_from: '2025-01-20', date_to: '2025-01-22', postal_code: '75001' });
const check = await client.availability.check({ service_id: service.id, scheduled_at: '2025-01-20T09:00:00Z', postal_code: '75001' }, { idempotencyKey: 'k1' });
const hook = await client.webhooks.create({ url: 'https://example.org/hooks', events: ['appointment.created'] });
const rotated = await client.webhooks.rotateSecret(hook.id);
const delivery = await client.webhooks.test(hook.id);
const deliveries = await client.webhooks.deliveries(hook.id, { status: 'succeeded' });
const recovery = await client.webhooks.recover(hook.id, { since: new Date() });
const gone: void = await client.webhooks.delete(hook.id);
const event = await client.events.get('evt_1');
const integration = await client.integrations.get('google-calendar');
const links = await client.integrations.technicianLinks('google-calendar');
const mapping = await client.integrations.mapping('outlook');
const raw = await client.request<{ account_id: string }>('GET', '/me');

try {
  await client.appointments.get('apt_404');
} catch (e) {
  if (e instanceof NotFoundError) void [e.code, e.requestId];
  if (e instanceof ValidationError) void e.errors.map((x) => x.field);
  if (e instanceof RateLimitError) void e.retryAfter;
}

const signature: string = webhooks.sign('{}', 'whsec_x');
const standard: boolean = webhooks.verifyStandard(new Uint8Array(2), { 'webhook-id': 'msg_1' }, ['whsec_a', 'whsec_b'], { tolerance: 600 });

void [same, next, more, all, monday, schedule, slotStart, range, check, rotated, delivery, deliveries, recovery, gone, event, integration, links, mapping, raw, signature, standard];

// @ts-expect-error: availability needs a postal code
await client.availability.get({ service_id: 'srv_1', date: '2025-01-20' });
// @ts-expect-error: delivery statuses are pending, succeeded, failed, cancelled
await client.webhooks.deliveries('wh_1', { status: 'ok' });
// @ts-expect-error: a webhook subscribes to events
await client.webhooks.create({ url: 'https://example.org/hooks' });
// @ts-expect-error: the per_page filter is a number
await client.teams.list({ per_page: '10' });
// @ts-expect-error: verifyStandard takes the headers, not one signature
webhooks.verifyStandard('{}', 'v1,abc', 'whsec_x');
