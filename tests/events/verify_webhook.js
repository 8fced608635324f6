// The documented receiver-side check of X-iValid-Signature (spec "Vérification HMAC-SHA256",
// verify-webhook.js), copied verbatim, plus a small command-line wrapper for the Python tests:
//
//   node verify_webhook.js <payload-file> <signature> <secret>
//
// The payload file is read as UTF-8 text, the way a receiver gets the raw body as a string.
// Exit status: 0 if verifyWebhook returns true, 1 if it returns false or throws the RangeError
// timingSafeEqual raises when the two signatures differ in length, 2 on bad usage.
'use strict';

const fs = require('fs');

// --- verbatim from the spec ---------------------------------------------------------------
const crypto = require('crypto');

function verifyWebhook(payload, signature, secret) {
const expectedSignature = crypto
.createHmac('sha256', secret)
.update(payload)
.digest('hex');

return crypto.timingSafeEqual(
Buffer.from(signature),
Buffer.from('sha256=' + expectedSignature)
);
}
// --- end of the spec's code ---------------------------------------------------------------

function main(argv) {
  if (argv.length !== 3) {
    process.stderr.write('usage: node verify_webhook.js <payload-file> <signature> <secret>\n');
    return 2;
  }
  const [payloadFile, signature, secret] = argv;
  const payload = fs.readFileSync(payloadFile, 'utf8');
  try {
    return verifyWebhook(payload, signature, secret) ? 0 : 1;
  } catch (err) {
    if (err instanceof RangeError) {
      return 1;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
