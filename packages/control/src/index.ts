export { ControlService } from './control-service.js';
export {
  ROUTES,
  matchRoute,
  type BindingSummaryData,
  type ControlActions,
  type DomainData,
  type Route as ControlRoute,
  type SummaryData,
} from './routes.js';
export { Counters, type SummaryCounters } from './counters.js';
export { inspectControlSocket, liveSocketError, type SocketPathState } from './socket-path.js';
