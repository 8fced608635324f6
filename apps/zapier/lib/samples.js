'use strict';

// Samples and output fields: the API's representations (the spec's shapes).

const APPOINTMENT = {
  id: 'apt_1234567890',
  customer: {
    id: 'cust_abc123',
    name: 'Marie Dupont',
    email: 'marie.dupont@example.com',
    phone: '+33612345678',
  },
  service: { id: 'srv_installation', name: 'Installation climatisation', duration: 120 },
  technician: { id: 'tech_xyz789', name: 'Jean Martin' },
  scheduled_at: '2025-01-20T09:00:00Z',
  ends_at: '2025-01-20T11:00:00Z',
  duration: 120,
  status: 'pending',
  location: { address: '15 rue des Lilas', city: 'Paris', postal_code: '75001' },
  notes: 'Code portail: 1234',
  notify_customer: true,
  reminder_sms: true,
  reminder_email: true,
  created_at: '2025-01-15T14:32:00Z',
  updated_at: '2025-01-15T14:32:00Z',
};

const APPOINTMENT_FIELDS = [
  { key: 'id', label: 'Appointment ID' },
  { key: 'status', label: 'Status' },
  { key: 'scheduled_at', label: 'Scheduled At', type: 'datetime' },
  { key: 'ends_at', label: 'Ends At', type: 'datetime' },
  { key: 'duration', label: 'Duration (minutes)', type: 'integer' },
  { key: 'customer__id', label: 'Customer ID' },
  { key: 'customer__name', label: 'Customer Name' },
  { key: 'customer__email', label: 'Customer E-mail' },
  { key: 'customer__phone', label: 'Customer Phone' },
  { key: 'service__id', label: 'Service ID' },
  { key: 'service__name', label: 'Service Name' },
  { key: 'technician__id', label: 'Technician ID' },
  { key: 'technician__name', label: 'Technician Name' },
  { key: 'location__address', label: 'Address' },
  { key: 'location__city', label: 'City' },
  { key: 'location__postal_code', label: 'Postal Code' },
  { key: 'notes', label: 'Notes' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
];

const CUSTOMER = {
  id: 'cust_abc123',
  first_name: 'Marie',
  last_name: 'Dupont',
  name: 'Marie Dupont',
  email: 'marie.dupont@example.com',
  phone: '+33612345678',
  address: { street: '15 rue des Lilas', city: 'Paris', postal_code: '75001', country: 'FR' },
  preferences: { preferred_contact: 'sms', preferred_time_slots: ['morning'], language: 'fr' },
  tags: ['vip'],
  custom_fields: {},
  created_at: '2025-01-15T14:32:00Z',
  updated_at: '2025-01-15T14:32:00Z',
};

const CUSTOMER_FIELDS = [
  { key: 'id', label: 'Customer ID' },
  { key: 'first_name', label: 'First Name' },
  { key: 'last_name', label: 'Last Name' },
  { key: 'name', label: 'Name' },
  { key: 'email', label: 'E-mail' },
  { key: 'phone', label: 'Phone' },
  { key: 'address__street', label: 'Street' },
  { key: 'address__city', label: 'City' },
  { key: 'address__postal_code', label: 'Postal Code' },
  { key: 'address__country', label: 'Country' },
  { key: 'tags', label: 'Tags', list: true },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
];

module.exports = { APPOINTMENT, APPOINTMENT_FIELDS, CUSTOMER, CUSTOMER_FIELDS };
