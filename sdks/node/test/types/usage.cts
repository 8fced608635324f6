// S60: the declarations accept the documented CommonJS usage and reject wrong calls.
import iValid = require('@ivalid/sdk');

async function documented(): Promise<void> {
  const client = new iValid.Client({ apiKey: 'your_api_key', environment: 'production' });
  const appointments = await client.appointments.list({ status: 'confirmed', date_from: '2025-01-01' });
  const total: number = appointments.meta.total;
  const first: iValid.Appointment | undefined = appointments.data[0];
  for await (const apt of appointments) {
    const name: string = apt.customer.name;
    const when: string = apt.scheduled_at;
    void name;
    void when;
  }
  const newAppointment = await client.appointments.create({
    customer_id: 'cust_abc123',
    service_id: 'srv_installation',
    scheduled_at: new Date(Date.UTC(2025, 0, 20, 9)),
    location: { postal_code: '75001', city: 'Paris' },
  });
  const technicianId: string | null = newAppointment.technician ? newAppointment.technician.id : null;
  try {
    await client.appointments.confirm(newAppointment.id);
  } catch (e) {
    if (e instanceof iValid.SlotNotAvailable) {
      const slots: string[] = e.suggestions.map((s) => s.slot);
      const status: number | null = e.httpStatus;
      void slots;
      void status;
    }
  }
  const ok: boolean = iValid.webhooks.verify('{}', 'sha256=00', 'whsec_x');
  const event = iValid.webhooks.constructEvent<iValid.Appointment>('{}', {}, 'whsec_x');
  const customerName: string = event.data.customer.name;
  const extra: unknown = newAppointment['a_field_the_models_do_not_know'];
  void [total, first, technicianId, ok, customerName, extra];

  // @ts-expect-error: a create without scheduled_at
  await client.appointments.create({ customer_id: 'cust_abc123', service_id: 'srv_installation' });
  // @ts-expect-error: no such filter
  await client.appointments.list({ statut: 'confirmed' });
  // @ts-expect-error: tags is a list
  await client.customers.create({ first_name: 'Marie', last_name: 'Dupont', tags: 'premium' });
  // @ts-expect-error: no such field
  (await client.appointments.get('apt_1')).customer.nom;
  // @ts-expect-error: environments are production and sandbox
  new iValid.Client({ apiKey: 'k', environment: 'staging' });
}

void documented;
