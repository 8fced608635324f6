// Types of the ES module entry: the same declarations as the CommonJS entry.
import iValid from '../index.js';

export * from '../index.js';
export default iValid;
