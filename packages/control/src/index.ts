export { ControlService } from './control-service.js';
export { ROUTES, matchRoute, type ControlActions, type Route as ControlRoute } from './routes.js';
export { Counters, type SummaryCounters } from './counters.js';
export { inspectControlSocket, liveSocketError, type SocketPathState } from './socket-path.js';
