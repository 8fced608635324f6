'use strict';

// Actions: book, reschedule, confirm and cancel appointments; create and update customers.

const { apiUrl } = require('./api');
const samples = require('./samples');

const truthy = (v) => v === true || v === 'true' || v === 'yes' || v === 1 || v === '1';
const has = (v) => v !== undefined && v !== null && v !== '';
const id = (v) => encodeURIComponent(String(v));

/** `{key: value}` for the keys of `input` that hold a value. */
const pick = (input, keys) => {
  const out = {};
  for (const key of keys) if (has(input[key])) out[key] = input[key];
  return out;
};

const appointmentField = {
  key: 'appointment_id',
  label: 'Appointment',
  required: true,
  search: 'find_appointment.id',
  helpText: 'The appointment ID (`apt_...`), e.g. from a trigger or the Find Appointment search.',
};

const customerField = (required) => ({
  key: 'customer_id',
  label: 'Customer',
  required,
  dynamic: 'customer.id.name',
  search: 'find_customer.id',
});

const technicianField = (helpText) => ({
  key: 'technician_id',
  label: 'Technician',
  required: false,
  dynamic: 'technician.id.name',
  helpText,
});

const action = (key, noun, label, description, inputFields, perform, sample) => ({
  key,
  noun,
  display: { label, description },
  operation: { inputFields, perform, sample, outputFields: noun === 'Customer' ? samples.CUSTOMER_FIELDS : samples.APPOINTMENT_FIELDS },
});

const createAppointment = async (z, bundle) => {
  const input = bundle.inputData;
  const body = pick(input, ['customer_id', 'service_id', 'technician_id', 'scheduled_at', 'notes']);
  if (has(input.duration)) body.duration = Number(input.duration);
  if (has(input.postal_code)) {
    body.location = { postal_code: String(input.postal_code), ...pick(input, ['address', 'city']) };
  }
  for (const flag of ['notify_customer', 'reminder_sms', 'reminder_email']) {
    if (has(input[flag])) body[flag] = truthy(input[flag]);
  }
  if (has(input.status)) body.status = input.status;
  const response = await z.request({ url: apiUrl('/appointments'), method: 'POST', body });
  return response.data;
};

const reschedule = async (z, bundle) => {
  const input = bundle.inputData;
  const response = await z.request({
    url: apiUrl(`/appointments/${id(input.appointment_id)}/reschedule`),
    method: 'POST',
    body: pick(input, ['scheduled_at', 'technician_id']),
  });
  return response.data;
};

const transition = (name) => async (z, bundle) => {
  const input = bundle.inputData;
  const response = await z.request({
    url: apiUrl(`/appointments/${id(input.appointment_id)}/${name}`),
    method: 'POST',
    body: pick(input, ['reason']),
  });
  return response.data;
};

const CUSTOMER_KEYS = ['first_name', 'last_name', 'email', 'phone'];
const ADDRESS_KEYS = ['street', 'city', 'postal_code', 'country'];

const customerBody = (input) => {
  const body = pick(input, CUSTOMER_KEYS);
  const address = pick(input, ADDRESS_KEYS);
  if (Object.keys(address).length) body.address = address;
  if (Array.isArray(input.tags) && input.tags.length) body.tags = input.tags.filter(has);
  else if (typeof input.tags === 'string' && input.tags) {
    body.tags = input.tags.split(',').map((t) => t.trim()).filter(has);
  }
  return body;
};

const createCustomer = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl('/customers'),
    method: 'POST',
    body: customerBody(bundle.inputData),
  });
  return response.data;
};

const updateCustomer = async (z, bundle) => {
  const body = customerBody(bundle.inputData);
  if (!Object.keys(body).length) {
    throw new z.errors.Error('Give at least one field to change.', 'NOTHING_TO_UPDATE', 400);
  }
  const response = await z.request({
    url: apiUrl(`/customers/${id(bundle.inputData.customer_id)}`),
    method: 'PUT',
    body,
  });
  return response.data;
};

const customerFields = (required) => [
  { key: 'first_name', label: 'First Name', required },
  { key: 'last_name', label: 'Last Name', required },
  { key: 'email', label: 'E-mail', required: false },
  { key: 'phone', label: 'Phone', required: false, helpText: 'E.g. +33612345678.' },
  { key: 'street', label: 'Street', required: false },
  { key: 'city', label: 'City', required: false },
  { key: 'postal_code', label: 'Postal Code', required: false, helpText: 'Five digits (75001).' },
  { key: 'country', label: 'Country', required: false, helpText: 'Two letters (FR).' },
  { key: 'tags', label: 'Tags', required: false, list: true },
];

const creates = [
  action(
    'create_appointment',
    'Appointment',
    'Create Appointment',
    'Books an appointment. When the slot is taken, the error names the nearest free slots.',
    [
      customerField(true),
      { key: 'service_id', label: 'Service', required: true, dynamic: 'service.id.name' },
      {
        key: 'scheduled_at',
        label: 'Date and Time',
        type: 'datetime',
        required: true,
        helpText: "Without a time zone, the time is read in the account's time zone (Europe/Paris).",
      },
      technicianField('Leave empty to let iValid choose the qualified, in-zone technician.'),
      { key: 'duration', label: 'Duration (minutes)', type: 'integer', required: false },
      { key: 'postal_code', label: 'Postal Code', required: false, helpText: 'Where the visit takes place (75001).' },
      { key: 'address', label: 'Address', required: false },
      { key: 'city', label: 'City', required: false },
      { key: 'notes', label: 'Notes', type: 'text', required: false },
      {
        key: 'status',
        label: 'Initial Status',
        required: false,
        choices: { pending: 'Pending', confirmed: 'Confirmed' },
        default: 'pending',
      },
      { key: 'notify_customer', label: 'Notify the Customer', type: 'boolean', required: false },
      { key: 'reminder_sms', label: 'SMS Reminder', type: 'boolean', required: false },
      { key: 'reminder_email', label: 'E-mail Reminder', type: 'boolean', required: false },
    ],
    createAppointment,
    samples.APPOINTMENT,
  ),
  action(
    'reschedule_appointment',
    'Appointment',
    'Reschedule Appointment',
    'Moves an appointment to another time (and optionally another technician).',
    [
      appointmentField,
      { key: 'scheduled_at', label: 'New Date and Time', type: 'datetime', required: true },
      technicianField('Leave empty to keep the technician.'),
    ],
    reschedule,
    samples.APPOINTMENT,
  ),
  action(
    'confirm_appointment',
    'Appointment',
    'Confirm Appointment',
    'Confirms a pending appointment.',
    [appointmentField],
    transition('confirm'),
    { ...samples.APPOINTMENT, status: 'confirmed' },
  ),
  action(
    'cancel_appointment',
    'Appointment',
    'Cancel Appointment',
    'Cancels an appointment (it stays visible, with the status cancelled).',
    [appointmentField, { key: 'reason', label: 'Reason', type: 'text', required: false }],
    transition('cancel'),
    { ...samples.APPOINTMENT, status: 'cancelled' },
  ),
  action(
    'create_customer',
    'Customer',
    'Create Customer',
    'Creates a customer.',
    customerFields(true),
    createCustomer,
    samples.CUSTOMER,
  ),
  action(
    'update_customer',
    'Customer',
    'Update Customer',
    'Changes the fields given of a customer; the others stay as they are.',
    [customerField(true), ...customerFields(false)],
    updateCustomer,
    samples.CUSTOMER,
  ),
];

module.exports = { creates };
