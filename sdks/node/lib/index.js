'use strict';
/**
 * iValid API v2 client for Node.js.
 *
 *     const iValid = require('@ivalid/sdk');
 *     const client = new iValid.Client({ apiKey: 'your_api_key', environment: 'sandbox' });
 *     const appointments = await client.appointments.list({ status: 'confirmed' });
 */

const errors = require('./errors');
const webhooks = require('./webhooks');
const { Client, ENVIRONMENTS } = require('./client');
const { Page } = require('./pagination');
const { VERSION } = require('./version');

module.exports = {
  Client,
  ENVIRONMENTS,
  Page,
  VERSION,
  webhooks,
  APIConnectionError: errors.APIConnectionError,
  APIError: errors.APIError,
  AuthenticationError: errors.AuthenticationError,
  BadRequestError: errors.BadRequestError,
  ConflictError: errors.ConflictError,
  IValidError: errors.IValidError,
  IdempotencyError: errors.IdempotencyError,
  InvalidStatusTransition: errors.InvalidStatusTransition,
  NotFoundError: errors.NotFoundError,
  PermissionDeniedError: errors.PermissionDeniedError,
  RateLimitError: errors.RateLimitError,
  ServerError: errors.ServerError,
  SignatureVerificationError: errors.SignatureVerificationError,
  SlotNotAvailable: errors.SlotNotAvailable,
  ValidationError: errors.ValidationError,
};
// `import iValid from '@ivalid/sdk'` in TypeScript with esModuleInterop, and `iValid.default`.
module.exports.default = module.exports;
