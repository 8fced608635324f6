// The ES module entry of @ivalid/sdk: the same objects as `require('@ivalid/sdk')`.
import iValid from '../lib/index.js';

export const {
  Client,
  ENVIRONMENTS,
  Page,
  VERSION,
  webhooks,
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  IValidError,
  IdempotencyError,
  InvalidStatusTransition,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  SignatureVerificationError,
  SlotNotAvailable,
  ValidationError,
} = iValid;

export default iValid;
