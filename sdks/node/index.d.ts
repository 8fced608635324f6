// Type declarations of @ivalid/sdk: every resource, request body, filter and model of the API.

/** `YYYY-MM-DD` or ISO 8601 text, or a `Date` (sent as ISO 8601 UTC). */
export type DateLike = string | Date;

export type AppointmentStatus = 'pending' | 'confirmed' | 'completed' | 'cancelled';
export type Environment = 'production' | 'sandbox';

/** The API base URL of each environment. */
export declare const ENVIRONMENTS: Readonly<Record<Environment, string>>;
/** The SDK's version (the same as the Python SDK's). */
export declare const VERSION: string;

// -- models ----------------------------------------------------------------------------------

/** A point on the map. */
export interface Coordinates {
  lat: number;
  lng: number;
}

/** Where an appointment takes place. */
export interface Location {
  address?: string;
  city?: string;
  postal_code?: string;
  coordinates?: Coordinates | null;
}

/** The customer as embedded in an appointment. */
export interface AppointmentCustomer {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
}

/** The service as embedded in an appointment. */
export interface AppointmentService {
  id: string;
  name: string;
  duration: number;
  price?: number | null;
}

/** The technician as embedded in an appointment. */
export interface AppointmentTechnician {
  id: string;
  name: string;
}

/** A booked intervention: who, what, when, where, and its status. */
export interface Appointment {
  id: string;
  customer: AppointmentCustomer;
  service: AppointmentService;
  technician: AppointmentTechnician | null;
  scheduled_at: string;
  ends_at?: string | null;
  duration?: number | null;
  status: AppointmentStatus;
  location?: Location | null;
  notes?: string | null;
  notify_customer?: boolean | null;
  reminder_sms?: boolean | null;
  reminder_email?: boolean | null;
  created_at?: string | null;
  updated_at?: string | null;
  /** Fields this SDK version does not know yet are kept as received. */
  [field: string]: unknown;
}

/** A customer's postal address. */
export interface Address {
  street?: string;
  city?: string;
  postal_code?: string;
  country?: string;
}

/** How and when a customer likes to be reached. */
export interface CustomerPreferences {
  preferred_contact?: string | null;
  preferred_time_slots?: string[];
  language?: string | null;
}

/** A customer of the account, with contact details and preferences. */
export interface Customer {
  id: string;
  first_name: string;
  last_name: string;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: Address | null;
  preferences?: CustomerPreferences | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  created_at?: string | null;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** A service the account offers: duration, price and required skills. */
export interface Service {
  id: string;
  name: string;
  description?: string | null;
  duration: number;
  buffer_before?: number | null;
  buffer_after?: number | null;
  price?: number | null;
  currency?: string | null;
  required_skills: string[];
  available_online?: boolean | null;
  color?: string | null;
  category?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** A group of technicians. */
export interface Team {
  id: string;
  name: string;
  description?: string | null;
  technician_ids: string[];
  created_at?: string | null;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** One day's working hours, `HH:MM` local time. */
export interface WorkingHours {
  start: string;
  end: string;
}

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** A field technician: skills, zones and working hours. */
export interface Technician {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  skills: string[];
  zones: string[];
  /** Keyed by lower-case weekday; a day left out is a day off. */
  working_hours: Partial<Record<Weekday, WorkingHours>>;
  max_appointments_per_day?: number | null;
  current_location?: Coordinates | null;
  start_location?: Coordinates | null;
  team_id?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** A technician's day: working hours and the appointments booked in it. */
export interface TechnicianSchedule {
  technician_id?: string;
  technician: AppointmentTechnician;
  date: string;
  working_hours: WorkingHours | null;
  appointments: Appointment[];
  [field: string]: unknown;
}

/** A free slot: local `HH:MM` start and end (and the same as instants), and who would come. */
export interface AvailabilitySlot {
  start: string;
  end: string;
  technician_id: string;
  technician_name?: string | null;
  /** Minutes of travel to get there. */
  travel_time?: number | null;
  start_at?: string | null;
  end_at?: string | null;
}

/** The free slots of one day (`GET /availability`). */
export interface AvailabilityDay {
  date: string;
  slots: AvailabilitySlot[];
  next_available_date?: string | null;
  [field: string]: unknown;
}

/** Free slots over a date range, grouped by day (`GET /availability/slots`). */
export interface AvailabilitySlots {
  date_from: string;
  date_to: string;
  days: AvailabilityDay[];
  [field: string]: unknown;
}

/** An alternative slot the server proposes when the one asked for is taken. */
export interface Suggestion {
  slot: string;
  technician_id: string;
  [field: string]: unknown;
}

/** Whether one slot can be booked (`POST /availability/check`), with alternatives if not. */
export interface AvailabilityCheck {
  available: boolean;
  /** Who would come, when available. */
  technician_id?: string | null;
  travel_time?: number | null;
  /** Why not, when not available. */
  reasons: string[];
  suggestions: Suggestion[];
  [field: string]: unknown;
}

/** A webhook endpoint; `secret` is shown only by create and rotate-secret. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  description?: string | null;
  secret?: string | null;
  /** The secret's last characters, to tell secrets apart. */
  secret_hint?: string | null;
  disabled_reason?: string | null;
  disabled_at?: string | null;
  /** While a secret is rotated: until when the previous one still signs deliveries. */
  previous_secret_expires_at?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** One HTTP attempt of a delivery: when, the answer's status, latency, first 1 KB, error. */
export interface WebhookAttempt {
  number: number;
  attempted_at: string;
  success: boolean;
  status_code?: number | null;
  latency_ms?: number | null;
  response_body?: string | null;
  error?: string | null;
  detail?: string | null;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/** One event sent to one endpoint, and its attempts. */
export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at?: string | null;
  last_status_code?: number | null;
  last_error?: string | null;
  created_at?: string | null;
  completed_at?: string | null;
  attempts: WebhookAttempt[];
  [field: string]: unknown;
}

/** What `POST /webhooks/:id/recover` queued again. */
export interface WebhookRecovery {
  webhook_id: string;
  since: string;
  until?: string | null;
  queued: number;
}

/** Something that happened in the account, as webhooks deliver it. */
export interface Event<T = any> {
  id: string;
  /** The event type, e.g. `appointment.created`. */
  event: string;
  timestamp: string;
  /** The object the event is about (an appointment, a customer, ...). */
  data: T;
  [field: string]: unknown;
}

/** The remote account a connection uses. */
export interface IntegrationAccount {
  id: string;
  email?: string | null;
  name?: string | null;
}

/** The last error of a connection. */
export interface IntegrationError {
  code?: string | null;
  message?: string | null;
  at?: string | null;
}

export type IntegrationName = 'google-calendar' | 'outlook' | 'zoho' | 'stripe' | 'zapier' | 'make';

/** A connector (Google Calendar, Outlook, Zoho, ...) and the account's connection to it. */
export interface Integration {
  name: IntegrationName | (string & {});
  display_name: string;
  status: 'disconnected' | 'connected' | 'reauth_required' | (string & {});
  /** Whether the hub has an OAuth application for this provider. */
  configured: boolean;
  supports_push: boolean;
  connected_as?: IntegrationAccount | null;
  scopes: string[];
  connected_at?: string | null;
  last_sync_at?: string | null;
  last_sync_status?: string | null;
  last_error?: IntegrationError | null;
  next_sync_at?: string | null;
  backoff_until?: string | null;
  sync_interval: number;
  technicians_linked: number;
  pending_pushes: number;
  mapping_overridden: boolean;
  last_stats: Record<string, number>;
  [field: string]: unknown;
}

/** Where to send the user to grant access: the provider's consent page. */
export interface IntegrationConnect {
  authorization_url: string;
  expires_at: string;
}

/** The connection after it was disconnected. */
export interface IntegrationDisconnect {
  integration: string;
  status: string;
  /** Whether the provider confirmed the grant is revoked. */
  revoked: boolean;
}

/** A synchronisation queued for the worker. */
export interface IntegrationSync {
  integration: string;
  status: string;
  next_sync_at?: string | null;
  backoff_until?: string | null;
}

/** How fields map to the provider: the account's override and the resulting rules. */
export interface IntegrationMapping {
  integration: string;
  override: Record<string, unknown> | null;
  time_zone: string;
  rules: Array<Record<string, unknown>>;
}

/** What one appointment becomes at the provider. */
export interface MappingPreview {
  appointment_id: string;
  calendar_id?: string | null;
  payload: Record<string, unknown>;
}

/** A technician and the remote calendar his appointments go to. */
export interface TechnicianLink {
  technician_id: string;
  technician_name: string;
  email?: string | null;
  calendar_id?: string | null;
  linked_by?: string | null;
  last_pulled_at?: string | null;
  channel_expires_at?: string | null;
  channel_error?: string | null;
}

/** Where a list page sits: `total` items over `total_pages` pages of `per_page`. */
export interface PageMeta {
  total: number;
  page: number;
  per_page: number;
  total_pages: number;
}

// -- request parameters ----------------------------------------------------------------------

/** Order of the appointment and customer lists: `-` first is newest first (ties by id). */
export type ListSort = '-created_at' | '-updated_at' | 'created_at' | 'updated_at';

/** Which page of a list to fetch. */
export interface PaginationParams {
  page?: number;
  per_page?: number;
}

export interface CoordinatesParams {
  lat: number;
  lng: number;
}

export interface LocationParams {
  address?: string;
  city?: string;
  postal_code?: string;
  coordinates?: CoordinatesParams;
}

/** Filters of `GET /appointments`. */
export interface AppointmentListParams extends PaginationParams {
  status?: AppointmentStatus;
  technician_id?: string;
  customer_id?: string;
  date_from?: DateLike;
  date_to?: DateLike;
  postal_code?: string;
  sort?: ListSort;
  updated_since?: DateLike;
}

/** Filters of `GET /customers/:id/appointments`. */
export interface CustomerAppointmentListParams extends PaginationParams {
  status?: AppointmentStatus;
  date_from?: DateLike;
  date_to?: DateLike;
  sort?: ListSort;
  updated_since?: DateLike;
}

interface AppointmentFields {
  technician_id?: string;
  duration?: number;
  location?: LocationParams;
  notes?: string;
  notify_customer?: boolean;
  reminder_sms?: boolean;
  reminder_email?: boolean;
}

/** Body of `POST /appointments`. */
export interface AppointmentCreateParams extends AppointmentFields {
  customer_id: string;
  service_id: string;
  scheduled_at: DateLike;
  /** The initial status; `pending` unless given. */
  status?: 'pending' | 'confirmed';
}

/** Body of `PUT /appointments/:id`: only the fields given are changed. */
export interface AppointmentUpdateParams extends AppointmentFields {
  customer_id?: string;
  service_id?: string;
  scheduled_at?: DateLike;
  status?: AppointmentStatus;
}

/** Body of `POST /appointments/:id/reschedule`. */
export interface AppointmentRescheduleParams {
  scheduled_at: DateLike;
  technician_id?: string;
}

/** Optional body of confirm, complete and cancel. */
export interface ReasonParams {
  reason?: string;
}

export interface AddressParams {
  street?: string;
  city?: string;
  postal_code?: string;
  country?: string;
}

export interface CustomerPreferencesParams {
  preferred_contact?: string;
  preferred_time_slots?: string[];
  language?: string;
}

interface CustomerFields {
  email?: string;
  phone?: string;
  address?: AddressParams;
  preferences?: CustomerPreferencesParams;
  tags?: string[];
  custom_fields?: Record<string, unknown>;
}

/** Body of `POST /customers`. */
export interface CustomerCreateParams extends CustomerFields {
  first_name: string;
  last_name: string;
}

/** Body of `PUT /customers/:id`: only the fields given are changed. */
export interface CustomerUpdateParams extends CustomerFields {
  first_name?: string;
  last_name?: string;
}

/** Filters of `GET /customers`. */
export interface CustomerListParams extends PaginationParams {
  email?: string;
  tag?: string;
  q?: string;
  sort?: ListSort;
  updated_since?: DateLike;
}

interface ServiceFields {
  description?: string;
  buffer_before?: number;
  buffer_after?: number;
  price?: number;
  currency?: string;
  required_skills?: string[];
  available_online?: boolean;
  color?: string;
  category?: string;
}

/** Body of `POST /services`. */
export interface ServiceCreateParams extends ServiceFields {
  name: string;
  duration: number;
}

/** Body of `PUT /services/:id`: only the fields given are changed. */
export interface ServiceUpdateParams extends ServiceFields {
  name?: string;
  duration?: number;
}

/** Filters of `GET /services`. */
export interface ServiceListParams extends PaginationParams {
  category?: string;
  available_online?: boolean;
}

/** Body of `POST /teams`. */
export interface TeamCreateParams {
  name: string;
  description?: string;
}

/** Body of `PUT /teams/:id`: only the fields given are changed. */
export interface TeamUpdateParams {
  name?: string;
  description?: string;
}

/** Working hours per weekday; a day left out (or null) is a day off. */
export type WeekHoursParams = Partial<Record<Weekday, WorkingHours | null>>;

interface TechnicianFields {
  email?: string;
  phone?: string;
  skills?: string[];
  zones?: string[];
  working_hours?: WeekHoursParams;
  max_appointments_per_day?: number;
  current_location?: CoordinatesParams;
  /** Where the technician's day starts, for travel times (e.g. home or depot). */
  start_location?: CoordinatesParams;
  team_id?: string;
}

/** Body of `POST /technicians`. */
export interface TechnicianCreateParams extends TechnicianFields {
  name: string;
}

/** Body of `PUT /technicians/:id`: only the fields given are changed. */
export interface TechnicianUpdateParams extends TechnicianFields {
  name?: string;
}

/** Filters of `GET /technicians`. */
export interface TechnicianListParams extends PaginationParams {
  team_id?: string;
  skill?: string;
  zone?: string;
}

/** Body of `POST /webhooks`; without `secret` the server generates one. */
export interface WebhookCreateParams {
  url: string;
  events: string[];
  secret?: string;
  active?: boolean;
  description?: string;
}

/** Body of `PUT /webhooks/:id`: only the fields given are changed. */
export interface WebhookUpdateParams {
  url?: string;
  events?: string[];
  secret?: string;
  active?: boolean;
  description?: string;
}

/** Filters of `GET /webhooks/:id/deliveries`. */
export interface WebhookDeliveryListParams extends PaginationParams {
  status?: WebhookDeliveryStatus;
  event_type?: string;
  event_id?: string;
}

/** Filters of `GET /events`, newest first. */
export interface EventListParams extends PaginationParams {
  /** One type, or several (`['appointment.created', 'appointment.cancelled']`). */
  type?: string | string[];
  date_from?: DateLike;
  date_to?: DateLike;
}

export interface AvailabilityParams {
  service_id: string;
  date: DateLike;
  postal_code: string;
  technician_id?: string;
  duration?: number;
}

export interface AvailabilitySlotsParams {
  service_id: string;
  date_from: DateLike;
  date_to: DateLike;
  postal_code: string;
  technician_id?: string;
  duration?: number;
}

/** Body of `POST /availability/check`: give the place as `postal_code` or as `location`. */
export interface AvailabilityCheckParams {
  service_id: string;
  scheduled_at: DateLike;
  postal_code?: string;
  location?: LocationParams;
  technician_id?: string;
  duration?: number;
}

/** Per-request options of the calls that POST. */
export interface RequestOptions {
  /** Sent as `Idempotency-Key`; without it the SDK generates one per call (kept over retries). */
  idempotencyKey?: string;
  /** Milliseconds to wait for this response. */
  timeout?: number;
}

// -- pages -------------------------------------------------------------------------------------

/**
 * One page of results (`.data`, `.meta`); `for await` over it yields every item of every page,
 * fetching each one only when the previous one is used up.
 */
export declare class Page<T> implements AsyncIterable<T> {
  constructor(data: T[], meta: PageMeta, options?: { params?: Record<string, unknown>; fetch?: (params: Record<string, unknown>) => Promise<Page<T>>; raw?: Record<string, unknown> });
  readonly data: T[];
  readonly meta: PageMeta;
  /** Other top-level fields of the answer (e.g. `calendars` of technician links). */
  readonly [field: string]: unknown;
  /** True when a later page exists. */
  readonly hasMore: boolean;
  /** The following page, fetched now, or null after the last one. */
  nextPage(): Promise<Page<T> | null>;
  autoPagingIter(): AsyncGenerator<T, void, undefined>;
  /** Call `onItem` for every item of every page; stop early when it returns `false`. */
  autoPagingEach(onItem: (item: T) => void | boolean | Promise<void | boolean>): Promise<void>;
  /** Every item of every page in one array (at most `limit`, 10,000 unless told). */
  autoPagingToArray(options?: { limit?: number }): Promise<T[]>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
  toJSON(): { data: T[]; meta: PageMeta; [field: string]: unknown };
}

/** What `list()` returns: the first page's promise, itself an async iterator over every item. */
export interface PagePromise<T> extends Promise<Page<T>>, AsyncIterable<T> {
  autoPagingEach(onItem: (item: T) => void | boolean | Promise<void | boolean>): Promise<void>;
  autoPagingToArray(options?: { limit?: number }): Promise<T[]>;
}

// -- resources ---------------------------------------------------------------------------------

/** Appointments: book, change, confirm, reschedule, complete and cancel interventions. */
export declare class Appointments {
  list(params?: AppointmentListParams): PagePromise<Appointment>;
  get(appointmentId: string): Promise<Appointment>;
  create(params: AppointmentCreateParams, options?: RequestOptions): Promise<Appointment>;
  update(appointmentId: string, params: AppointmentUpdateParams): Promise<Appointment>;
  cancel(appointmentId: string, params?: ReasonParams): Promise<Appointment>;
  confirm(appointmentId: string, params?: ReasonParams, options?: RequestOptions): Promise<Appointment>;
  reschedule(appointmentId: string, params: AppointmentRescheduleParams, options?: RequestOptions): Promise<Appointment>;
  complete(appointmentId: string, params?: ReasonParams, options?: RequestOptions): Promise<Appointment>;
}

/** Customers: contact details, preferences, and their appointment history. */
export declare class Customers {
  list(params?: CustomerListParams): PagePromise<Customer>;
  get(customerId: string): Promise<Customer>;
  create(params: CustomerCreateParams, options?: RequestOptions): Promise<Customer>;
  update(customerId: string, params: CustomerUpdateParams): Promise<Customer>;
  appointments(customerId: string, params?: CustomerAppointmentListParams): PagePromise<Appointment>;
}

/** Services: what the account offers, with duration, price and required skills. */
export declare class Services {
  list(params?: ServiceListParams): PagePromise<Service>;
  get(serviceId: string): Promise<Service>;
  create(params: ServiceCreateParams, options?: RequestOptions): Promise<Service>;
  update(serviceId: string, params: ServiceUpdateParams): Promise<Service>;
}

/** Teams: groups of technicians. */
export declare class Teams {
  list(params?: PaginationParams): PagePromise<Team>;
  get(teamId: string): Promise<Team>;
  create(params: TeamCreateParams, options?: RequestOptions): Promise<Team>;
  update(teamId: string, params: TeamUpdateParams): Promise<Team>;
}

/** Technicians: skills, zones, working hours, and their daily schedule. */
export declare class Technicians {
  list(params?: TechnicianListParams): PagePromise<Technician>;
  get(technicianId: string): Promise<Technician>;
  create(params: TechnicianCreateParams, options?: RequestOptions): Promise<Technician>;
  update(technicianId: string, params: TechnicianUpdateParams): Promise<Technician>;
  schedule(technicianId: string, params?: { date?: DateLike }): Promise<TechnicianSchedule>;
}

/** Free slots, given required skills, zones and travel time. */
export declare class Availability {
  get(params: AvailabilityParams): Promise<AvailabilityDay>;
  slots(params: AvailabilitySlotsParams): Promise<AvailabilitySlots>;
  check(params: AvailabilityCheckParams, options?: RequestOptions): Promise<AvailabilityCheck>;
}

/** Webhook subscriptions; to check a received webhook, use `iValid.webhooks.verify`. */
export declare class Webhooks {
  create(params: WebhookCreateParams, options?: RequestOptions): Promise<Webhook>;
  list(params?: PaginationParams): PagePromise<Webhook>;
  get(webhookId: string): Promise<Webhook>;
  update(webhookId: string, params: WebhookUpdateParams): Promise<Webhook>;
  delete(webhookId: string): Promise<void>;
  deliveries(webhookId: string, params?: WebhookDeliveryListParams): PagePromise<WebhookDelivery>;
  retryDelivery(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery>;
  test(webhookId: string, options?: RequestOptions): Promise<WebhookDelivery>;
  rotateSecret(webhookId: string, params?: { secret?: string }, options?: RequestOptions): Promise<Webhook>;
  recover(webhookId: string, params: { since: DateLike; until?: DateLike }, options?: RequestOptions): Promise<WebhookRecovery>;
}

/** The account's event log: what webhooks deliver, kept to be read back. */
export declare class Events {
  list(params?: EventListParams): PagePromise<Event>;
  get(eventId: string): Promise<Event>;
}

/** Integrations by name: `google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`. */
export declare class Integrations {
  list(): PagePromise<Integration>;
  get(name: IntegrationName | (string & {})): Promise<Integration>;
  connect(name: IntegrationName | (string & {}), options?: RequestOptions): Promise<IntegrationConnect>;
  disconnect(name: IntegrationName | (string & {})): Promise<IntegrationDisconnect>;
  sync(name: IntegrationName | (string & {}), options?: RequestOptions): Promise<IntegrationSync>;
  mapping(name: IntegrationName | (string & {})): Promise<IntegrationMapping>;
  updateMapping(
    name: IntegrationName | (string & {}),
    params?: { defaults?: Record<string, unknown>; rules?: Array<Record<string, unknown>>; remove?: Array<Record<string, unknown>> },
  ): Promise<IntegrationMapping>;
  previewMapping(
    name: IntegrationName | (string & {}),
    params: { appointment_id: string; mapping?: Record<string, unknown> },
    options?: RequestOptions,
  ): Promise<MappingPreview>;
  technicianLinks(name: IntegrationName | (string & {})): PagePromise<TechnicianLink>;
  linkTechnician(name: IntegrationName | (string & {}), technicianId: string, params: { calendar_id: string | null }): Promise<TechnicianLink>;
}

// -- the client --------------------------------------------------------------------------------

export interface ClientOptions {
  /** An API key (`ivk_live_…`, `ivk_test_…`), sent as the bearer token. */
  apiKey?: string;
  /** `production` (default) or `sandbox`: picks the base URL. */
  environment?: Environment;
  /** Overrides the environment's base URL (else `IVALID_BASE_URL`), e.g. `http://127.0.0.1:8000/v2`. */
  baseUrl?: string;
  /** OAuth 2.0 client credentials, instead of an API key. */
  clientId?: string;
  clientSecret?: string;
  /** Space-separated scopes to ask the token for. */
  scope?: string;
  /** The token endpoint; by default `/oauth/token` beside the base URL. */
  tokenUrl?: string;
  /** Milliseconds to wait for each response (30,000 unless told). */
  timeout?: number;
  /** How many times a failed request that is safe to repeat is sent again (2 unless told). */
  maxRetries?: number;
  /** A fetch implementation; the global one by default. */
  fetch?: (input: any, init?: any) => Promise<any>;
}

/** A client of the iValid API v2. */
export declare class Client {
  constructor(options?: ClientOptions);
  readonly environment: Environment;
  readonly baseUrl: string;
  readonly tokenUrl: string;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly appointments: Appointments;
  readonly customers: Customers;
  readonly services: Services;
  readonly teams: Teams;
  readonly technicians: Technicians;
  readonly availability: Availability;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly integrations: Integrations;
  /** Call any API path (relative to the base URL) with the client's auth and retries. */
  request<T = unknown>(
    method: string,
    path: string,
    options?: { params?: Record<string, unknown>; body?: Record<string, unknown>; idempotencyKey?: string },
  ): Promise<T>;
}

// -- errors ------------------------------------------------------------------------------------

export interface ErrorOptions {
  httpStatus?: number | null;
  code?: string | null;
  details?: Record<string, unknown>;
  suggestions?: Suggestion[];
  requestId?: string | null;
  headers?: Record<string, string>;
  jsonBody?: unknown;
  httpBody?: string;
  cause?: unknown;
}

/** Base of every error thrown by the SDK; carries what the API said about the failure. */
export declare class IValidError extends Error {
  constructor(message?: string, options?: ErrorOptions);
  /** The HTTP status, or null when no response arrived. */
  readonly httpStatus: number | null;
  /** The API's error code, e.g. `SLOT_NOT_AVAILABLE`. */
  code: string | null;
  message: string;
  readonly details: Record<string, any>;
  /** Free alternatives, on `SLOT_NOT_AVAILABLE`. */
  readonly suggestions: Suggestion[];
  /** The `X-Request-Id` of the answer, to quote to support. */
  readonly requestId: string | null;
  readonly headers: Record<string, string>;
  readonly jsonBody: unknown;
  readonly httpBody: string | undefined;
}
/** The server could not be reached, or the connection broke before a response arrived. */
export declare class APIConnectionError extends IValidError {}
/** A webhook's signature or timestamp did not check out. */
export declare class SignatureVerificationError extends IValidError {}
/** The API answered with an error status; subclasses narrow it down by status and code. */
export declare class APIError extends IValidError {}
/** 400: the request was malformed. */
export declare class BadRequestError extends APIError {}
/** 401: no credentials, or an invalid or expired token. */
export declare class AuthenticationError extends APIError {}
/** 403: the credentials lack a scope the call needs (`INSUFFICIENT_SCOPE`). */
export declare class PermissionDeniedError extends APIError {}
/** 404: no such resource in this account and environment. */
export declare class NotFoundError extends APIError {}
/** 409: the request conflicts with the current state of a resource. */
export declare class ConflictError extends APIError {}
/** 409 `SLOT_NOT_AVAILABLE`: the slot is taken; `.suggestions` lists free alternatives. */
export declare class SlotNotAvailable extends ConflictError {}
/** 409 `INVALID_STATUS_TRANSITION`: e.g. confirming an appointment that was cancelled. */
export declare class InvalidStatusTransition extends ConflictError {}
/** 422 `VALIDATION_ERROR`: `.errors` lists each rejected field and why. */
export declare class ValidationError extends APIError {
  readonly errors: Array<{ field: string; reason: string; message?: string; [key: string]: unknown }>;
}
/** 422 `IDEMPOTENCY_KEY_REUSED`: an Idempotency-Key was reused with a different request. */
export declare class IdempotencyError extends APIError {}
/** 429 `RATE_LIMIT_EXCEEDED`, thrown once the SDK's own retries are used up. */
export declare class RateLimitError extends APIError {
  /** Seconds the server asked to wait (the `Retry-After` header), if it said. */
  readonly retryAfter: number | null;
}
/** 5xx: the server failed; safe requests were already retried. */
export declare class ServerError extends APIError {}

// -- webhook verification ----------------------------------------------------------------------

/** The raw body of a received webhook, exactly as it arrived. */
export type WebhookPayload = string | Uint8Array | ArrayBuffer;
/** One secret, or several while a rotated secret is being phased in. */
export type WebhookSecrets = string | readonly string[];
/** Received headers: node:http's `req.headers`, a fetch `Headers`, or any object. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export declare namespace webhooks {
  /** Seconds a Standard Webhooks timestamp may differ from the local clock, either way. */
  export const DEFAULT_TOLERANCE: number;
  export const SIGNATURE_HEADER: 'X-iValid-Signature';
  export { SignatureVerificationError };
  /** The `X-iValid-Signature` value for a body: `sha256=` and the hex HMAC-SHA256. */
  export function sign(payload: WebhookPayload, secret: string): string;
  /** True if `signature` (the `X-iValid-Signature` header) signs `payload` with `secret`. */
  export function verify(payload: WebhookPayload, signature: string | null | undefined, secret: WebhookSecrets): boolean;
  /** The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC-SHA256>`. */
  export function signStandard(payload: WebhookPayload, secret: string, options: { msgId: string; timestamp: number }): string;
  /** True if the Standard Webhooks headers sign `payload` and were sent within `tolerance`. */
  export function verifyStandard(
    payload: WebhookPayload,
    headers: WebhookHeaders,
    secret: WebhookSecrets,
    options?: { tolerance?: number; now?: number },
  ): boolean;
  /** Verify a received webhook and return its event; throw `SignatureVerificationError` if forged. */
  export function constructEvent<T = any>(
    payload: WebhookPayload,
    headers: WebhookHeaders,
    secret: WebhookSecrets,
    options?: { tolerance?: number },
  ): Event<T>;
}

declare const iValid: {
  Client: typeof Client;
  ENVIRONMENTS: typeof ENVIRONMENTS;
  Page: typeof Page;
  VERSION: string;
  webhooks: typeof webhooks;
  APIConnectionError: typeof APIConnectionError;
  APIError: typeof APIError;
  AuthenticationError: typeof AuthenticationError;
  BadRequestError: typeof BadRequestError;
  ConflictError: typeof ConflictError;
  IValidError: typeof IValidError;
  IdempotencyError: typeof IdempotencyError;
  InvalidStatusTransition: typeof InvalidStatusTransition;
  NotFoundError: typeof NotFoundError;
  PermissionDeniedError: typeof PermissionDeniedError;
  RateLimitError: typeof RateLimitError;
  ServerError: typeof ServerError;
  SignatureVerificationError: typeof SignatureVerificationError;
  SlotNotAvailable: typeof SlotNotAvailable;
  ValidationError: typeof ValidationError;
};
export default iValid;
