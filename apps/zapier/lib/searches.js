'use strict';

// Searches: a customer by e-mail; an appointment by id, or the newest matching filters.

const { apiUrl } = require('./api');
const samples = require('./samples');

const has = (v) => v !== undefined && v !== null && v !== '';

const findCustomer = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl('/customers'),
    params: { email: String(bundle.inputData.email).trim().toLowerCase(), sort: '-created_at' },
  });
  return response.data.data || [];
};

const findAppointment = async (z, bundle) => {
  const input = bundle.inputData;
  if (has(input.appointment_id)) {
    const response = await z.request({
      url: apiUrl(`/appointments/${encodeURIComponent(String(input.appointment_id))}`),
      skipThrowForStatus: true,
    });
    if (response.status === 404) return [];
    if (response.status >= 400) response.throwForStatus();
    return [response.data];
  }
  const params = { sort: '-created_at', per_page: 10 };
  for (const key of ['customer_id', 'status', 'technician_id', 'date_from', 'date_to']) {
    if (has(input[key])) params[key] = input[key];
  }
  if (Object.keys(params).length === 2) {
    throw new z.errors.Error(
      'Give an appointment ID, or at least one of customer, status, technician or dates.',
      'NO_CRITERIA',
      400,
    );
  }
  const response = await z.request({ url: apiUrl('/appointments'), params });
  return response.data.data || [];
};

const searches = [
  {
    key: 'find_customer',
    noun: 'Customer',
    display: { label: 'Find Customer', description: 'Finds a customer by e-mail address.' },
    operation: {
      inputFields: [{ key: 'email', label: 'E-mail', required: true }],
      perform: findCustomer,
      sample: samples.CUSTOMER,
      outputFields: samples.CUSTOMER_FIELDS,
    },
  },
  {
    key: 'find_appointment',
    noun: 'Appointment',
    display: {
      label: 'Find Appointment',
      description: "Finds an appointment by ID, or a customer's (technician's...) newest one.",
    },
    operation: {
      inputFields: [
        { key: 'appointment_id', label: 'Appointment ID', required: false },
        { key: 'customer_id', label: 'Customer', required: false, dynamic: 'customer.id.name' },
        {
          key: 'status',
          label: 'Status',
          required: false,
          choices: {
            pending: 'Pending',
            confirmed: 'Confirmed',
            completed: 'Completed',
            cancelled: 'Cancelled',
          },
        },
        { key: 'technician_id', label: 'Technician', required: false, dynamic: 'technician.id.name' },
        { key: 'date_from', label: 'From', type: 'datetime', required: false },
        { key: 'date_to', label: 'To', type: 'datetime', required: false },
      ],
      perform: findAppointment,
      sample: samples.APPOINTMENT,
      outputFields: samples.APPOINTMENT_FIELDS,
    },
  },
];

module.exports = { searches };
