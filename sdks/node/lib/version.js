'use strict';
/** The SDK version (the package's, which moves with the Python SDK's), sent in the User-Agent. */

const VERSION = require('../package.json').version;

module.exports = { VERSION };
