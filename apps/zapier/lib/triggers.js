'use strict';

// Triggers: REST hooks on /v2/integrations/zapier/hooks (one event each), with a sample list
// from the sorted lists for the Zap editor; and the hidden triggers behind the dropdowns.

const { apiUrl } = require('./api');
const samples = require('./samples');
const { verifyDelivery } = require('./signature');

const PLATFORM_HOOKS = '/integrations/zapier/hooks';

/** The event's object from a delivery `{id, event, timestamp, data}` (Zapier's parsed body). */
const deliveredObject = (bundle, event) => {
  let payload = bundle.cleanedRequest || {};
  if (!payload.event && payload.content && typeof payload.content === 'object') {
    payload = payload.content;
  }
  if (payload.event !== event || !payload.data || typeof payload.data !== 'object') {
    return null; // not a delivery of this hook's event: nothing to trigger on
  }
  return payload.data;
};

/**
 * A REST hook trigger.
 *
 * `list` is the sample request (`path` and query `params`) run by `performList`, and
 * `item` turns an object into the trigger's item (the updated trigger gives each change its
 * own id, since Zapier tells items apart by `id`).
 */
const hookTrigger = ({ key, noun, label, description, event, list, item, sample, outputFields }) => {
  const toItem = item || ((object) => object);
  return {
    key,
    noun,
    display: { label, description },
    operation: {
      type: 'hook',
      performSubscribe: async (z, bundle) => {
        const response = await z.request({
          url: apiUrl(PLATFORM_HOOKS),
          method: 'POST',
          body: { target_url: bundle.targetUrl, event },
        });
        // {id, target_url, event, secret, ...}: bundle.subscribeData later; perform checks
        // each delivery's signature with that secret.
        return response.data;
      },
      performUnsubscribe: async (z, bundle) => {
        const id = bundle.subscribeData && bundle.subscribeData.id;
        if (!id) throw new z.errors.Error('This hook has no id to unsubscribe.', 'NO_HOOK', 400);
        const response = await z.request({
          url: apiUrl(`${PLATFORM_HOOKS}/${encodeURIComponent(id)}`),
          method: 'DELETE',
          skipThrowForStatus: true,
        });
        // 204, also for a hook already removed; 404 if it is not (or no longer) this grant's.
        if (response.status >= 400 && response.status !== 404) response.throwForStatus();
        return { id, unsubscribed: true };
      },
      perform: (z, bundle) => {
        verifyDelivery(z, bundle);
        const object = deliveredObject(bundle, event);
        return object ? [toItem(object)] : [];
      },
      performList: async (z, bundle) => {
        const response = await z.request({
          url: apiUrl(list.path),
          params: { per_page: 10, ...list.params },
        });
        return (response.data.data || []).map(toItem);
      },
      sample: toItem(sample),
      outputFields,
    },
  };
};

const appointmentHook = (key, label, description, event, params, item) =>
  hookTrigger({
    key,
    noun: 'Appointment',
    label,
    description,
    event,
    list: { path: '/appointments', params },
    item,
    sample: samples.APPOINTMENT,
    outputFields: item
      ? [{ key: 'appointment_id', label: 'Appointment ID' }, ...samples.APPOINTMENT_FIELDS.slice(1)]
      : samples.APPOINTMENT_FIELDS,
  });

/** Each change of an appointment is its own item: `id` is the appointment id and the time. */
const appointmentChange = (apt) => ({ ...apt, id: `${apt.id}:${apt.updated_at}`, appointment_id: apt.id });

/** A hidden list trigger powering a dynamic dropdown (`{id, name}` items), page by page. */
const dropdown = (key, noun, path, label, params = {}, name = (o) => o.name) => ({
  key,
  noun,
  display: { label, description: `Lists the account's ${noun.toLowerCase()}s.`, hidden: true },
  operation: {
    type: 'polling',
    canPaginate: true,
    perform: async (z, bundle) => {
      const page = ((bundle.meta && bundle.meta.page) || 0) + 1; // Zapier counts from 0
      const response = await z.request({
        url: apiUrl(path),
        params: { page, per_page: 100, ...params },
      });
      return (response.data.data || []).map((o) => ({ ...o, name: name(o) }));
    },
    sample: { id: `${key}_1`, name: noun },
    outputFields: [
      { key: 'id', label: `${noun} ID` },
      { key: 'name', label: 'Name' },
    ],
  },
});

const triggers = [
  appointmentHook(
    'new_appointment',
    'New Appointment',
    'Triggers when an appointment is booked.',
    'appointment.created',
    { sort: '-created_at' },
  ),
  appointmentHook(
    'appointment_updated',
    'Appointment Updated',
    'Triggers when an appointment changes (time, technician, status, notes...).',
    'appointment.updated',
    { sort: '-updated_at' },
    appointmentChange,
  ),
  appointmentHook(
    'appointment_confirmed',
    'Appointment Confirmed',
    'Triggers when an appointment is confirmed.',
    'appointment.confirmed',
    { status: 'confirmed', sort: '-updated_at' },
  ),
  appointmentHook(
    'appointment_cancelled',
    'Appointment Cancelled',
    'Triggers when an appointment is cancelled.',
    'appointment.cancelled',
    { status: 'cancelled', sort: '-updated_at' },
  ),
  hookTrigger({
    key: 'new_customer',
    noun: 'Customer',
    label: 'New Customer',
    description: 'Triggers when a customer is created.',
    event: 'customer.created',
    list: { path: '/customers', params: { sort: '-created_at' } },
    sample: samples.CUSTOMER,
    outputFields: samples.CUSTOMER_FIELDS,
  }),
  dropdown('service', 'Service', '/services', 'List Services'),
  dropdown('technician', 'Technician', '/technicians', 'List Technicians'),
  // Newest customers first, their e-mail beside the name.
  dropdown('customer', 'Customer', '/customers', 'List Customers', { sort: '-created_at' }, (c) =>
    c.email ? `${c.name} <${c.email}>` : c.name,
  ),
];

module.exports = { PLATFORM_HOOKS, triggers };
