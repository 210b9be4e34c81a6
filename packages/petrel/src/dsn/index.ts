export { DsnService } from './dsn-service.js';
export { dsnIndexes, wantsNotice } from './notify.js';
