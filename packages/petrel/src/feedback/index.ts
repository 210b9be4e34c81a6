export { SuppressionService, HARD_CLASSES, normalizeEntry } from './suppression-service.js';
export { InboundReportService } from './inbound-service.js';
export { reportContext } from './report-context.js';
