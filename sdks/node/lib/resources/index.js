'use strict';
/** Resource services, one per REST resource; reached as properties of `iValid.Client`. */

module.exports = {
  ...require('./appointments'),
  ...require('./availability'),
  ...require('./customers'),
  ...require('./events'),
  ...require('./integrations'),
  ...require('./services'),
  ...require('./teams'),
  ...require('./technicians'),
  ...require('./webhooks'),
};
