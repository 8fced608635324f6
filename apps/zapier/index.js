'use strict';

// iValid on Zapier: the app definition (zapier-platform-core).

const zapier = require('zapier-platform-core');

const { addHeaders, handleErrors } = require('./lib/api');
const { authentication } = require('./lib/authentication');
const { creates } = require('./lib/creates');
const { searches } = require('./lib/searches');
const { triggers } = require('./lib/triggers');

const byKey = (items) => Object.fromEntries(items.map((item) => [item.key, item]));

module.exports = {
  version: require('./package.json').version,
  platformVersion: zapier.version,

  authentication,
  beforeRequest: [addHeaders],
  afterResponse: [handleErrors],

  triggers: byKey(triggers),
  creates: byKey(creates),
  searches: byKey(searches),
};
